"""The index template is valid and every document we write fits its strict mapping."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.unit.shipped_config import LAYOUT, TABLES
from worker.index.documents import QuarantineEntry, article_document, quarantine_document
from worker.index.templates import load_template, mapped_fields
from worker.record import Article, Entity, Mention, Origin, Provenance
from worker.settings import PROJECT_ROOT

CONFIG = PROJECT_ROOT / "config"


def _article() -> Article:
    return Article(
        id="t1", origin=Origin(kind="seed", location="/s/a.txt", job_id="j"),
        title="Putin", body="Vladimir Putin spoke.", language="id", language_confidence=0.9,
        language_reliable=True, published_at=datetime(2024, 1, 2, tzinfo=UTC), ner_status="ok",
        attributed_publication="WSJ",
        mentions=[Mention(text="Vladimir Putin", label="PER", start=7, end=21)],
        entities=[Entity(key="PER:vladimir putin", name="Vladimir Putin", label="PER",
                         surface_forms=["Vladimir Putin"], count=1)],
        provenance=[Provenance(stage="ner", name="m", version="1", at=datetime.now(UTC))],
    )


def test_templates_are_strict_and_cover_every_document_field() -> None:
    template = load_template(CONFIG, "articles", "news-articles-*")
    assert template["index_patterns"] == ["news-articles-*"]
    mappings = template["template"]["mappings"]
    assert mappings["dynamic"] == "strict"
    doc = article_document(_article(), TABLES, LAYOUT)
    assert set(doc) <= mapped_fields(template)
    assert set(doc["entities"][0]) <= set(mappings["properties"]["entities"]["properties"])
    assert doc["entity_keys"] == ["PER:vladimir putin"]
    assert doc["word_count"] == 3


def test_quarantine_document_fits_its_template_and_keeps_raw_input() -> None:
    template = load_template(CONFIG, "quarantine", "news-quarantine*")
    entry = QuarantineEntry(item_key="j:1", stage="parse", reason="binary", reason_code="not_text",
                            error_class="NotTextError",
                            origin=Origin(kind="seed", location="/x", job_id="j"),
                            raw=b"\x00" * (2 * 1024 * 1024))
    doc = quarantine_document(entry)
    assert set(doc) <= mapped_fields(template)
    assert doc["raw_size"] == 2 * 1024 * 1024 and doc["raw_truncated"] is True
    # Retried quarantine of the same item overwrites, never duplicates.
    assert entry.doc_id == entry.model_copy(update={"reason": "other"}).doc_id
