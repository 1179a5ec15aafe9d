"""What the stages need from the outside world, as protocols: the adapters implement them
(Elasticsearch store, Redis ledger and registry, Celery outbox) and unit tests pass fakes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from worker.feeds.config import FeedConfig, FeedState
from worker.index.writes import BulkOutcome, Current, Write
from worker.jobs.summary import Outcome
from worker.pipeline.messages import ArticleEnvelope, FeedPollRequest, SourceItem
from worker.record import Article

# ``fetch(url, policy, etag=..., last_modified=...)`` of worker.http, or a fake.
Fetch = Callable[..., Any]


class Store(Protocol):
    """The article and quarantine indices."""

    def current(self, ids: list[str]) -> dict[str, Current]: ...

    def near_duplicate_candidates(self, band_sets: list[list[str]],
                                  size: int = 20) -> list[dict[str, Any]]:
        ...

    def bulk_write(self, writes: list[Write]) -> BulkOutcome: ...

    def put_quarantine(self, documents: dict[str, dict[str, Any]]) -> None: ...


class Ledger(Protocol):
    """Job bookkeeping: what was submitted and what became of it."""

    def open_job(self, job_id: str, source_keys: list[str]) -> None: ...

    def register_articles(self, job_id: str, source_key: str, ledger_keys: list[str]) -> None:
        ...

    def source_quarantined(self, job_id: str, source_key: str) -> None: ...

    def source_failed(self, job_id: str, source_key: str, reason: str) -> None: ...

    def record(self, job_id: str, outcomes: dict[str, Outcome]) -> None: ...


class FeedStateStore(Protocol):
    """Per-feed state between polls, the entries already seen, and the poll lease."""

    def state(self, fid: str) -> FeedState: ...

    def save_state(self, fid: str, state: FeedState) -> None: ...

    def seen(self, fid: str, keys: list[str]) -> dict[str, str]: ...

    def mark_seen(self, fid: str, fingerprints: dict[str, str]) -> None: ...

    def due(self, now: datetime | None = None) -> list[FeedConfig]: ...

    def lease(self, fid: str, seconds: int) -> bool: ...

    def release(self, fid: str) -> None: ...


class Enricher(Protocol):
    """Language, entities and text metadata for a batch of articles."""

    def enrich_many(self, articles: list[Article]) -> list[Article | Exception]:
        """One result per article, in order: the enriched copy, or why it failed."""
        ...


class Outbox(Protocol):
    """Hands work to the next stage (a queue in production, a list in tests)."""

    def parse(self, item: SourceItem) -> None: ...

    def parse_group(self, items: list[SourceItem]) -> None: ...

    def enrich(self, batch: list[ArticleEnvelope]) -> None: ...

    def index(self, batch: list[ArticleEnvelope], *, delay_s: int = 0) -> None: ...

    def fulltext(self, envelope: ArticleEnvelope) -> None: ...

    def poll(self, request: FeedPollRequest) -> None: ...
