"""web/ asks the services; it never opens a unit of work of its own (issue 14). Only
web/app/bootstrap.py, the wiring, holds the unit-of-work factory: it hands it to the services it
builds and keeps `Services.uow` as the tests' seam. import-linter holds the import side
("web opens no unit of work" in pyproject.toml); this test holds what an import check cannot
see: a module reaching the factory through the services container (`services.uow()`,
`app[SERVICES].uow`)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).parents[3]
WEB = ROOT / "web"
WIRING = {WEB / "app" / "bootstrap.py"}
FACTORY = {"uow", "unit_of_work"}  # the method and the factory it calls


def _web_modules() -> list[Path]:
    return sorted(p for p in WEB.rglob("*.py") if p not in WIRING)


def _reaches_factory(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    relative = path.relative_to(ROOT)
    return [f"{relative}:{node.lineno} ({ast.unparse(node)})" for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and node.attr in FACTORY]


def test_the_check_reads_web() -> None:
    modules = _web_modules()
    assert len(modules) > 40, modules  # the walk still finds web's modules
    assert _reaches_factory(WEB / "app" / "bootstrap.py"), "the check no longer sees `self.uow`"


def test_no_web_module_but_the_wiring_opens_a_unit_of_work() -> None:
    found = [hit for path in _web_modules() for hit in _reaches_factory(path)]
    assert not found, ("web/ reaches the unit-of-work factory; ask a service method in "
                       f"hearings/ instead (docs/architecture.md, Access): {found}")
