"""Article records and quarantine entries as Elasticsearch documents (pure functions)."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, Field

from worker.enrich.normalise import EntityTables, search_names
from worker.enrich.text_stats import word_count
from worker.index.dedup import fingerprint_of, merge_origins
from worker.index.layout import IndexLayout
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
    attempts: int = Field(1, ge=1, description="Times this item was quarantined (replays + 1).")
    first_quarantined_at: datetime | None = Field(
        None, description="When the item was first quarantined (before any replay).")

    @property
    def doc_id(self) -> str:
        """Same item, same stage, same reason: one entry, however often it is retried."""
        return hashlib.sha256(f"{self.item_key}|{self.stage}".encode()).hexdigest()[:32]


def article_document(
    article: Article, tables: EntityTables, layout: IndexLayout, *,
    indexed_at: datetime | None = None,
) -> dict[str, Any]:
    """The indexed form of an article: the record plus fields that make it searchable."""
    doc = article.model_dump(mode="json", exclude={"origin", "fingerprint"})
    doc["source_kind"] = article.origin.kind
    doc["origins"] = [article.origin.model_dump(mode="json")]
    doc["site"] = site_of(article.url)
    doc["text_by_language"] = language_text(article, layout)
    when = article.published_at or article.fetched_at
    doc["published_or_fetched_at"] = when.isoformat()
    # Canonical name, surface forms without titles, and the canonical id (verbatim, and as
    # entity_key_term folds it, so `--entity country:SY` and `--entity org:kremlin` match).
    doc["entity_keys"] = sorted(
        {entity_key_term(label, name) for e in article.entities
         for label, name in search_names(e, article.language, tables=tables)}
        | {e.canonical_id for e in article.entities if e.canonical_id}
    )
    doc["entity_names"] = entity_names(article, layout)
    doc["entity_ids"] = sorted({e.canonical_id for e in article.entities if e.canonical_id})
    doc["word_count"] = article.word_count or word_count(article.body)
    doc["indexed_at"] = (indexed_at or datetime.now(UTC)).isoformat()
    prints = fingerprint_of(article)
    doc["content_hash"] = prints.content_hash
    doc["minhash"] = list(prints.minhash)
    doc["minhash_bands"] = list(prints.bands)
    doc["version"] = 1
    doc["story_id"] = None
    doc["near_duplicate_of"] = None
    doc["near_duplicate_similarity"] = None
    return doc


def language_text(article: Article, layout: IndexLayout) -> dict[str, dict[str, str]]:
    """The text again under its language's analyzer; {} when the mapping has none for it."""
    return _language_text(article.language, {"title": article.title,
                                             "summary": article.summary, "body": article.body},
                          layout)


def _language_text(language: str | None, fields: dict[str, str | None],
                   layout: IndexLayout) -> dict[str, dict[str, str]]:
    code = (language or "").split("-")[0].lower()
    if code not in layout.text_languages:
        return {}
    return {code: {name: value for name, value in fields.items() if value}}


def entity_names(article: Article, layout: IndexLayout) -> dict[str, list[str]]:
    """Display names per label, for facets and Kibana (which cannot aggregate nested data)."""
    return _entity_names(((e.label, e.name) for e in article.entities), layout)


def _entity_names(pairs: Iterable[tuple[str, str]], layout: IndexLayout) -> dict[str, list[str]]:
    names: dict[str, set[str]] = {}
    for label, name in pairs:
        if label in layout.entity_labels:
            names.setdefault(label, set()).add(name)
    return {label: sorted(values) for label, values in sorted(names.items())}


def with_derived_fields(doc_id: str, source: dict[str, Any],
                        layout: IndexLayout) -> dict[str, Any]:
    """A stored document with the fields an older mapping lacked, computed from its own data
    (a migration's copy: no model runs, nothing is fetched again)."""
    doc = dict(source)
    entities = doc.get("entities") or []
    doc["id"] = doc_id
    doc["site"] = site_of(doc.get("url"))
    doc["published_or_fetched_at"] = doc.get("published_at") or doc.get("fetched_at")
    doc["text_by_language"] = _language_text(
        doc.get("language"), {f: doc.get(f) for f in ("title", "summary", "body")}, layout)
    doc["entity_names"] = _entity_names(((e["label"], e["name"]) for e in entities), layout)
    doc["entity_ids"] = sorted({e["canonical_id"] for e in entities if e.get("canonical_id")})
    return doc


def site_of(url: str | None) -> str | None:
    """The host an article was published on, without a leading www."""
    if not url:
        return None
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.") or None


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
    doc["first_quarantined_at"] = doc["first_quarantined_at"] or doc["quarantined_at"]
    return doc
