"""docs/architecture.md names modules and files: each must exist (a path as written; a bare
name, as a module table within a package section writes it, somewhere in the tree), so
the document cannot drift from the code the way it once did (issue 14)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).parents[2]
DOC = (ROOT / "docs/architecture.md").read_text()
NAMED = sorted(set(re.findall(r"`([A-Za-z_][\w./-]*\.(?:py|js|html|css|conf|toml|yml))`", DOC)))


def _tracked() -> set[str]:
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                            cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return set(listed.split())


def test_the_architecture_document_names_files() -> None:
    assert len(NAMED) > 30, NAMED  # the pattern still finds what the document names


def test_every_file_the_architecture_document_names_exists() -> None:
    files = _tracked()
    basenames = {Path(f).name for f in files}
    missing = [name for name in NAMED
               if name not in (files if "/" in name else basenames)]
    assert not missing, f"docs/architecture.md names files that do not exist: {missing}"
