"""The verification the duty judge's page shows (`ForgeDocuments.verify`, behind
`GET /api/documents/{id}/verification`) applies docforge's rule for the document's kind: a
ruling with a genuine document timestamp but no court seal is not valid."""

from __future__ import annotations

from pathlib import Path

import pytest

from docforge.config import DocforgeConfig
from docforge.forge import DocumentForge
from docforge.pdf import render_pdf
from docforge.samples import sample
from docforge.schema import from_json
from hearings.domain.documents import Document, DocumentKind
from tests.unit.docforge.conftest import WEASYPRINT_FILTERS
from web.bridges.documents import ForgeDocuments

pytestmark = WEASYPRINT_FILTERS


@pytest.fixture(scope="module")
def forge(tmp_path_factory: pytest.TempPathFactory) -> DocumentForge:
    return DocumentForge(DocforgeConfig(pki_dir=tmp_path_factory.mktemp("pki")))


async def test_an_unsealed_ruling_in_the_store_is_reported_invalid(
        forge: DocumentForge, tmp_path: Path) -> None:
    store = ForgeDocuments(forge, tmp_path / "documents")
    document = Document(DocumentKind.CONFIRMATION_RULING, "h1", "c1", "")
    ruling = from_json("confirmation_ruling", sample("confirmation_ruling"))
    await store._store(document, await forge.afinish(render_pdf(ruling).data))
    report = await store.verify(document)
    assert report["ok"] is False and report["kind"] is None
    assert report["problems"][0].startswith("no court seal")
    assert [s["kind"] for s in report["signatures"]] == ["timestamp"]


async def test_a_sealed_ruling_waiting_for_the_judge_names_the_judge(
        forge: DocumentForge, tmp_path: Path) -> None:
    store = ForgeDocuments(forge, tmp_path / "documents")
    document = Document(DocumentKind.CONFIRMATION_RULING, "h1", "c1", "")
    ruling = from_json("confirmation_ruling", sample("confirmation_ruling"))
    await store._store(document, await forge.arender_and_seal(ruling))
    report = await store.verify(document)
    assert report["ok"] is False and report["kind"] == "confirmation_ruling"
    assert "missing the judge signature a confirmation_ruling requires" in report["problems"]
