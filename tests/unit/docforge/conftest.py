from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest

from docforge.biometric import SignerIdentity
from docforge.config import DocforgeConfig
from docforge.forge import DocumentForge
from docforge.samples import sample
from docforge.schema import from_json

# WeasyPrint 70 opens its sRGB ICC profile for PDF/A without closing it; the file object is
# collected later, so the ResourceWarning surfaces as an "unraisable" in whichever test runs.
WEASYPRINT_FILTERS = [
    pytest.mark.filterwarnings("ignore:unclosed file.*sRGB2014:ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]

JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4


def capture_json(seed: int = 0, site: str = "龙溪街道调解室") -> dict[str, Any]:
    strokes = [
        [
            {"x": 20 + i * 5 + s * 90, "y": 60 + ((i * (3 + seed)) % 40), "time": 1_700_000_000_000 + s * 900 + i * 16, "pressure": 0.3 + (i % 5) / 10}
            for i in range(30)
        ]
        for s in range(3)
    ]
    return {
        "strokes": strokes,
        "pad": {"width": 400, "height": 160},
        "device": "signature_pad 5 / kiosk-07",
        "site": site,
        "signed_at": "2026-11-22T10:00:00+08:00",
        "snapshot_jpeg_b64": base64.b64encode(JPEG).decode(),
    }


@pytest.fixture(scope="session")
def forge(tmp_path_factory: pytest.TempPathFactory) -> DocumentForge:
    pki_dir: Path = tmp_path_factory.mktemp("pki")
    return DocumentForge(DocforgeConfig(pki_dir=pki_dir))


@pytest.fixture(scope="session")
def signed_agreement(forge: DocumentForge) -> bytes:
    document = from_json("mediation_agreement", sample("mediation_agreement"))
    pdf = forge.render_and_seal(document)
    for i, party in enumerate(document.parties, 1):  # type: ignore[attr-defined]
        pdf = forge.sign_handwritten(pdf, f"party{i}", SignerIdentity(party.name, party.role), capture_json(i))
    pdf = forge.sign_as(pdf, "mediator", "王调解", "mediator", user_id="mediator-1")
    return forge.finish(pdf)


@pytest.fixture(scope="session")
def signed_ruling(forge: DocumentForge) -> bytes:
    document = from_json("confirmation_ruling", sample("confirmation_ruling"))
    pdf = forge.render_and_seal(document)
    pdf = forge.sign_as(pdf, "judge", "张审判", "judge", user_id="judge-1")
    return forge.finish(pdf)
