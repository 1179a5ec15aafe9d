"""What travels between stages on the queues (JSON via pydantic)."""

from __future__ import annotations

import base64
from typing import Any

from pydantic import BaseModel

from worker.feeds.config import FeedConfig
from worker.record import Article, Origin


class SourceItem(BaseModel):
    """One input handed to the fetch/parse stage: a seed file's bytes (or, later, a URL)."""

    job_id: str
    key: str
    origin: Origin
    content_b64: str | None = None
    size: int = 0

    @classmethod
    def from_bytes(cls, job_id: str, key: str, origin: Origin, raw: bytes) -> SourceItem:
        """Carry the file content in the message, so workers need no shared filesystem."""
        return cls(
            job_id=job_id, key=key, origin=origin,
            content_b64=base64.b64encode(raw).decode("ascii"), size=len(raw),
        )

    def content(self) -> bytes:
        """The raw bytes of the item."""
        return base64.b64decode(self.content_b64 or "")


class ArticleEnvelope(BaseModel):
    """An article on its way to the index, with the ledger key that counts it."""

    job_id: str
    ledger_key: str
    article: Article


class FeedPollRequest(BaseModel):
    """One poll of one feed, counted under ``source_key`` of ``job_id``."""

    job_id: str
    source_key: str
    feed: FeedConfig


def dump_envelopes(envelopes: list[ArticleEnvelope]) -> list[dict[str, Any]]:
    """Envelopes as JSON-ready dicts for a task message."""
    return [e.model_dump(mode="json") for e in envelopes]


def load_envelopes(payload: list[dict[str, Any]]) -> list[ArticleEnvelope]:
    """Envelopes from a task message."""
    return [ArticleEnvelope.model_validate(p) for p in payload]
