"""What a bulk write is asked to do and what it did: plain data shared by stages and store."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


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
