"""What a bulk write is asked to do, where it goes and what it did: plain data shared by
stages, store and the index migration."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson

from worker.errors import TransientError


@dataclass
class BulkOutcome:
    """What a bulk write did to each document id."""

    written: list[str] = field(default_factory=list)
    rejected: dict[str, str] = field(default_factory=dict)
    retry: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Current:
    """A stored document with its sequence number and primary term."""

    source: dict[str, Any]
    seq_no: int
    primary_term: int
    index: str = ""


@dataclass(frozen=True)
class Write:
    """One bulk operation: create a new id, or replace ``current`` if nobody changed it."""

    doc_id: str
    action: str
    document: dict[str, Any]
    current: Current | None = None

    def operation(self, write_index: str) -> dict[str, Any]:
        """The bulk action line: replace in place only where the alias writes now, else create.

        A document read from an older index (a migration is copying it) is created in the
        write index; the copy's own ``create`` of that id then gets 409 and skips it.
        """
        meta: dict[str, Any] = {"_index": write_index, "_id": self.doc_id}
        if self.action == "index" and self.current is not None and (
            self.current.index == write_index
        ):
            meta |= {"if_seq_no": self.current.seq_no,
                     "if_primary_term": self.current.primary_term}
            return {"index": meta}
        return {"create": meta}


@dataclass(frozen=True)
class AliasView:
    """The indices behind the articles alias (oldest first) and the one that takes writes."""

    indices: tuple[str, ...] = ()
    write_index: str | None = None

    @classmethod
    def from_get_alias(cls, response: dict[str, Any], alias: str) -> AliasView:
        """Read an ``indices.get_alias(name=alias)`` answer; a lone unflagged index writes."""
        flags = {index: bool(body["aliases"][alias].get("is_write_index"))
                 for index, body in response.items() if alias in body.get("aliases", {})}
        indices = tuple(sorted(flags))
        flagged = [index for index, is_write in flags.items() if is_write]
        if flagged:
            return cls(indices, flagged[0])
        return cls(indices, indices[0] if len(indices) == 1 else None)

    @property
    def older(self) -> tuple[str, ...]:
        """Indices still readable through the alias but no longer written: a migration's sources."""
        return tuple(index for index in self.indices if index != self.write_index)

    def rank(self, index: str) -> tuple[bool, str]:
        """Orders copies of one id: the write index's wins, then the newest older index's."""
        return index == self.write_index, index


def newest_copies(docs: Iterable[dict[str, Any]], view: AliasView) -> dict[str, Current]:
    """Per id, the stored copy that counts, from an mget over every index of the alias.

    An index deleted since the alias was read is skipped: a migration deletes an index only
    after copying all of it into the write index, which the same mget reads. Any other
    per-document error raises, since taking a copy for missing could drop its origins.
    """
    best: dict[str, Current] = {}
    for doc in docs:
        error = doc.get("error")
        if error is not None:
            if error.get("type") == "index_not_found_exception":
                continue
            raise TransientError(f"reading {doc['_id']} from {doc['_index']}: {error}")
        if not doc.get("found"):
            continue
        copy = Current(doc.get("_source") or {}, doc["_seq_no"], doc["_primary_term"],
                       doc["_index"])
        held = best.get(doc["_id"])
        if held is None or view.rank(copy.index) > view.rank(held.index):
            best[doc["_id"]] = copy
    return best


def _version_key(current: Current | None) -> tuple[str, int, int] | None:
    return None if current is None else (current.index, current.seq_no, current.primary_term)


def planned_from_older(writes: Iterable[Write], write_index: str) -> list[Write]:
    """The writes planned from what an older index held, or from nothing: they all create."""
    return [w for w in writes if w.current is None or w.current.index != write_index]


def changed_since_read(
    writes: Iterable[Write], older_docs: Iterable[dict[str, Any]], view: AliasView
) -> dict[str, str]:
    """Ids whose copy in the older indices is not the one planned from: plan them again.

    During a migration the older indices are write-blocked before the alias moves, so what
    they hold now is final; a ``create`` in the write index planned from anything else (a
    read from before the switch) could hide a write the copy would then skip.
    """
    now = newest_copies(older_docs, view)
    return {
        w.doc_id: "conflict: changed in the previous index during a migration"
        for w in writes if _version_key(now.get(w.doc_id)) != _version_key(w.current)
    }


# One quarantine bulk at most: a burst of bad records must not become one request that
# Elasticsearch refuses (429, indexing pressure) however often it is sent.
QUARANTINE_BULK_DOCS = 500
QUARANTINE_BULK_BYTES = 5 * 1024 * 1024


def bulk_chunks(
    documents: dict[str, dict[str, Any]], *, max_docs: int = QUARANTINE_BULK_DOCS,
    max_bytes: int = QUARANTINE_BULK_BYTES,
) -> list[dict[str, dict[str, Any]]]:
    """Documents in order, in chunks of at most ``max_docs`` and about ``max_bytes`` of JSON
    (a document larger than that travels alone)."""
    chunks: list[dict[str, dict[str, Any]]] = []
    current: dict[str, dict[str, Any]] = {}
    size = 0
    for doc_id, doc in documents.items():
        doc_size = len(orjson.dumps(doc, default=str)) + len(doc_id) + 64
        if current and (len(current) >= max_docs or size + doc_size > max_bytes):
            chunks.append(current)
            current, size = {}, 0
        current[doc_id] = doc
        size += doc_size
    if current:
        chunks.append(current)
    return chunks


REASON_PART_CHARS = 400


def bulk_error_reason(error: dict[str, Any], status: int) -> str:
    """A refused bulk item's reason with its causes, each cut short: Elasticsearch quotes
    the refused value itself ("Preview of field's value"), which may be megabytes."""
    if not error:
        return f"refused with HTTP {status}"
    parts: list[str] = []
    cause: dict[str, Any] | None = error
    while cause and len(parts) < 4:
        text = str(cause.get("reason", ""))
        if len(text) > REASON_PART_CHARS:
            text = text[:REASON_PART_CHARS] + f"… ({len(text):,} characters)"
        parts.append(f"{cause.get('type', status)}: {text}")
        cause = cause.get("caused_by")
    return "; caused by ".join(parts)
