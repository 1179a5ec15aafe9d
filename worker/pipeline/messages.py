"""What travels between stages on the queues (JSON via pydantic)."""

from __future__ import annotations

import base64
import json
from typing import Any

from pydantic import BaseModel, TypeAdapter

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


# Batches travel as one JSON text that pydantic writes and validates in Rust: several times
# cheaper than dicts that Celery encodes and pydantic then validates field by field.
_ENVELOPES = TypeAdapter(list[ArticleEnvelope])


def dump_envelopes(envelopes: list[ArticleEnvelope]) -> str:
    """Envelopes as the JSON text of a task message."""
    return _ENVELOPES.dump_json(envelopes).decode()


def load_envelopes(payload: str | bytes | list[dict[str, Any]]) -> list[ArticleEnvelope]:
    """Envelopes from a task message or a stored batch (JSON text; lists of dicts from older
    messages too)."""
    if isinstance(payload, str | bytes):
        return _ENVELOPES.validate_json(payload)
    return _ENVELOPES.validate_python(payload)


def load_envelope(payload: str | dict[str, Any]) -> ArticleEnvelope:
    """One envelope from a task message."""
    if isinstance(payload, str):
        return ArticleEnvelope.model_validate_json(payload)
    return ArticleEnvelope.model_validate(payload)


def payload_job_ids(payload: Any) -> list[str]:
    """The jobs a task message works for (any message shape above, or a claim on a stored
    batch, which names them); [] when there are none."""
    if isinstance(payload, dict) and isinstance(payload.get("job_ids"), list):
        return sorted({str(j) for j in payload["job_ids"] if j})
    if isinstance(payload, str):
        try:
            payload = json.loads(payload)
        except ValueError:
            return []
    items = payload if isinstance(payload, list) else [payload]
    return sorted({str(i["job_id"]) for i in items if isinstance(i, dict) and i.get("job_id")})
