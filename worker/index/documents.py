"""Article records and quarantine entries as Elasticsearch documents (pure functions)."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from worker.enrich.normalise import EntityTables, search_names
from worker.enrich.text_stats import word_count
from worker.index.dedup import fingerprint, merge_origins
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


def article_document(
    article: Article, tables: EntityTables, *, indexed_at: datetime | None = None
) -> dict[str, Any]:
    """The indexed form of an article: the record plus fields that make it searchable."""
    doc = article.model_dump(mode="json", exclude={"id", "origin"})
    doc["source_kind"] = article.origin.kind
    doc["origins"] = [article.origin.model_dump(mode="json")]
    # Canonical name, surface forms without titles, and the canonical id (verbatim, and as
    # entity_key_term folds it, so `--entity country:SY` and `--entity org:kremlin` match).
    doc["entity_keys"] = sorted(
        {entity_key_term(label, name) for e in article.entities
         for label, name in search_names(e, article.language, tables=tables)}
        | {e.canonical_id for e in article.entities if e.canonical_id}
    )
    doc["word_count"] = article.word_count or word_count(article.body)
    doc["indexed_at"] = (indexed_at or datetime.now(UTC)).isoformat()
    prints = fingerprint(article.title, article.body)
    doc["content_hash"] = prints.content_hash
    doc["minhash"] = list(prints.minhash)
    doc["minhash_bands"] = list(prints.bands)
    doc["version"] = 1
    doc["story_id"] = None
    doc["near_duplicate_of"] = None
    doc["near_duplicate_similarity"] = None
    return doc


_KEPT_ON_REENRICH = (
    "version", "indexed_at", "updated_at", "story_id", "near_duplicate_of",
    "near_duplicate_similarity",
)


@dataclass(frozen=True)
class WritePlan:
    """How one article reaches the index, and what the ledger will call it."""

    action: Literal["create", "index", "skip"]
    document: dict[str, Any]
    outcome: Literal["indexed", "updated", "duplicate"]


def plan_write(new: dict[str, Any], existing: dict[str, Any] | None) -> WritePlan:
    """New id: create. Same content: add the origin (duplicate). Changed content: new version."""
    if existing is None:
        return WritePlan("create", new, "indexed")
    origins = merge_origins(existing.get("origins") or [], new["origins"])
    if existing.get("content_hash") == new["content_hash"]:
        if new.get("enrichment_signature") != existing.get("enrichment_signature"):
            # Same text, newer models or rules (reenrich): new enrichment, same version.
            keep = {k: existing.get(k) for k in _KEPT_ON_REENRICH}
            return WritePlan("index", {**new, **keep, "origins": origins}, "updated")
        if origins == existing.get("origins"):
            return WritePlan("skip", existing, "duplicate")
        return WritePlan("index", {**existing, "origins": origins}, "duplicate")
    updated = {
        **new,
        "origins": origins,
        "version": int(existing.get("version") or 1) + 1,
        "indexed_at": existing.get("indexed_at") or new["indexed_at"],
        "updated_at": new["indexed_at"],
        "story_id": existing.get("story_id"),
        "near_duplicate_of": existing.get("near_duplicate_of"),
        "near_duplicate_similarity": existing.get("near_duplicate_similarity"),
    }
    return WritePlan("index", updated, "updated")


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
