"""The stages' outbox on Celery: each hand-over is a task message sent by name to its queue.

Sending by name needs no task module, so the CLI can send with an app built from the
settings it has just read (after `dev up` wrote the addresses), and workers send with theirs.
Article batches wait in Redis and their messages carry a claim (``worker.queue.batches``).
"""

from __future__ import annotations

from typing import Any

from celery import Celery

from worker.pipeline.messages import ArticleEnvelope, FeedPollRequest, SourceItem, dump_envelopes
from worker.queue.batches import BatchStore
from worker.queue.names import (
    ENRICH_ARTICLES,
    FETCH_FULLTEXT,
    FETCH_QUEUE,
    INDEX_ARTICLES,
    INDEX_QUEUE,
    NLP_QUEUE,
    PARSE_SOURCE,
    POLL_FEED,
)


class CeleryOutbox:
    """Implements the stages' ``Outbox`` with Celery messages."""

    def __init__(self, app: Celery, batches: BatchStore) -> None:
        self.app = app
        self.batches = batches

    def _send(self, task: str, queue: str, payload: Any, countdown: int = 0) -> None:
        self.app.send_task(task, args=(payload,), queue=queue, countdown=countdown or None)

    def parse(self, item: SourceItem) -> None:
        """A seed file to parse."""
        self._send(PARSE_SOURCE, FETCH_QUEUE, item.model_dump(mode="json"))

    def parse_group(self, items: list[SourceItem]) -> None:
        """Small seed files parsed by one task, so that their articles share NLP batches."""
        if len(items) == 1:
            self.parse(items[0])
        elif items:
            self._send(PARSE_SOURCE, FETCH_QUEUE, [i.model_dump(mode="json") for i in items])

    def enrich(self, batch: list[ArticleEnvelope]) -> None:
        """A batch of articles for NLP."""
        self._send(ENRICH_ARTICLES, NLP_QUEUE, self._claim(batch))

    def index(self, batch: list[ArticleEnvelope], *, delay_s: int = 0) -> None:
        """A batch of enriched articles to write."""
        self._send(INDEX_ARTICLES, INDEX_QUEUE, self._claim(batch), delay_s)

    def _claim(self, batch: list[ArticleEnvelope]) -> dict[str, Any]:
        return self.batches.claim(dump_envelopes(batch), [e.job_id for e in batch], len(batch))

    def fulltext(self, envelope: ArticleEnvelope) -> None:
        """A summary-only entry whose page is to be fetched."""
        self._send(FETCH_FULLTEXT, FETCH_QUEUE, envelope.model_dump_json())

    def poll(self, request: FeedPollRequest) -> None:
        """One poll of one feed."""
        self._send(POLL_FEED, FETCH_QUEUE, request.model_dump(mode="json"))
