"""Article records and quarantine entries as Elasticsearch documents (pure functions)."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field

from worker.record import Article, Origin

# Raw input kept with a quarantine entry; the hash and size always describe the whole input.
MAX_QUARANTINE_RAW_BYTES = 1024 * 1024


class QuarantineEntry(BaseModel):
    """Input we refused, with the reason, so that nothing that entered is lost."""

    item_key: str
    stage: str
    reason: str
    reason_code: str
    error_class: str
    origin: Origin
    raw: bytes | None = None
    record: dict[str, Any] | None = None
    quarantined_at: datetime = Field(default_factory=lambda: datetime.now(UTC))

    @property
    def doc_id(self) -> str:
        """Same item, same stage, same reason: one entry, however often it is retried."""
        return hashlib.sha256(f"{self.item_key}|{self.stage}".encode()).hexdigest()[:32]


def article_document(article: Article, *, indexed_at: datetime | None = None) -> dict[str, Any]:
    """The indexed form of an article: the record plus fields that make it searchable."""
    doc = article.model_dump(mode="json", exclude={"id", "origin"})
    doc["source_kind"] = article.origin.kind
    doc["origins"] = [article.origin.model_dump(mode="json")]
    doc["entity_keys"] = sorted({entity_key_term(e.label, e.name) for e in article.entities})
    doc["word_count"] = len(article.body.split())
    doc["indexed_at"] = (indexed_at or datetime.now(UTC)).isoformat()
    return doc


def entity_key_term(label: str, name: str) -> str:
    """The keyword that entity filters match: 'PER:vladimir putin'."""
    return f"{label.upper()}:{' '.join(name.split()).casefold()}"


def quarantine_document(entry: QuarantineEntry) -> dict[str, Any]:
    """The indexed form of a quarantine entry, with at most 1 MiB of the raw input."""
    doc = entry.model_dump(mode="json", exclude={"raw"})
    if entry.raw is not None:
        kept = entry.raw[:MAX_QUARANTINE_RAW_BYTES]
        doc["raw_size"] = len(entry.raw)
        doc["raw_sha256"] = hashlib.sha256(entry.raw).hexdigest()
        doc["raw_base64"] = base64.b64encode(kept).decode("ascii")
        doc["raw_truncated"] = len(kept) < len(entry.raw)
    doc["job_id"] = entry.origin.job_id
    return doc
