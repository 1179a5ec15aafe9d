"""Celery tasks: thin wrappers that move payloads between the pipeline stages.

One decorator sets names, queues and the retry policy by exception class:
TransientError retries with backoff for as long as it takes (the item stays queued);
QuarantineError and any unexpected error after a few tries quarantine the payload.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import redis
import structlog
from celery import Task

from worker.errors import QuarantineError, TransientError
from worker.index.store import ElasticStore
from worker.pipeline.messages import ArticleEnvelope, SourceItem, dump_envelopes, load_envelopes
from worker.pipeline.stages import Stages
from worker.queue.app import app
from worker.queue.ledger import JobLedger
from worker.queue.names import FETCH_QUEUE, INDEX_QUEUE, NLP_QUEUE
from worker.settings import get_settings

log = structlog.get_logger(__name__)
UNEXPECTED_ERROR_TRIES = 3


@functools.cache
def stages() -> Stages:
    """Adapters built once per worker process (connections are reused across tasks)."""
    settings = get_settings()
    store = ElasticStore(settings)
    store.ensure_indices()
    return Stages(settings, store, JobLedger(redis.Redis.from_url(settings.redis_url)))


def _reset_stages_on_failure() -> None:
    # A failed ensure_indices must be tried again by the next task, not cached.
    stages.cache_clear()


AnyTask = Task[Any, Any]
Body = Callable[[Any], None]
OnGiveUp = Callable[[Any, BaseException], None]


def pipeline_task(name: str, queue: str, on_give_up: OnGiveUp) -> Callable[[Body], AnyTask]:
    """Register ``body(payload)`` as task ``name`` on ``queue`` with the project's policy."""

    def register(body: Body) -> AnyTask:
        @app.task(name=name, queue=queue, bind=True, acks_late=True, max_retries=None)
        def run(self: AnyTask, payload: Any) -> None:
            def retry_later(exc: Exception, countdown: int) -> Exception:
                _reset_stages_on_failure()
                log.warning("retrying", task=name, error=str(exc), countdown=countdown)
                return self.retry(exc=exc, countdown=countdown)

            def backoff() -> int:
                cap = get_settings().retry_backoff_max_s
                return int(min(2 ** min(self.request.retries, 12), cap))

            try:
                body(payload)
                return
            except TransientError as exc:
                raise retry_later(exc, backoff()) from exc
            except QuarantineError as exc:
                failure: BaseException = exc
            except Exception as exc:  # includes SoftTimeLimitExceeded
                if self.request.retries + 1 < UNEXPECTED_ERROR_TRIES:
                    log.exception("unexpected error", task=name)
                    raise retry_later(exc, 2) from exc
                failure = exc
            try:
                on_give_up(payload, failure)
            except TransientError as exc:  # cannot even quarantine: keep it queued
                raise retry_later(exc, backoff()) from exc

        return run

    return register


def _send_to_nlp(batch: list[ArticleEnvelope]) -> None:
    enrich_articles.apply_async(args=(dump_envelopes(batch),), queue=NLP_QUEUE)


def _send_to_index(batch: list[ArticleEnvelope]) -> None:
    index_articles.apply_async(args=(dump_envelopes(batch),), queue=INDEX_QUEUE)


def _give_up_source(payload: dict[str, Any], exc: BaseException) -> None:
    stages().quarantine_source(SourceItem.model_validate(payload), exc, stage="parse")


def _give_up_articles(stage: str) -> OnGiveUp:
    def give_up(payload: list[dict[str, Any]], exc: BaseException) -> None:
        stages().quarantine_articles(load_envelopes(payload), exc, stage=stage)

    return give_up


@pipeline_task("newsworker.parse_source", FETCH_QUEUE, _give_up_source)
def parse_source(payload: dict[str, Any]) -> None:
    """Parse one seed file / feed item into articles and send them to NLP."""
    stages().handle_source(SourceItem.model_validate(payload), _send_to_nlp)


@pipeline_task("newsworker.enrich_articles", NLP_QUEUE, _give_up_articles("enrich"))
def enrich_articles(payload: list[dict[str, Any]]) -> None:
    """Language and entities for a batch, then on to indexing."""
    stages().handle_enrich(load_envelopes(payload), _send_to_index)


@pipeline_task("newsworker.index_articles", INDEX_QUEUE, _give_up_articles("index"))
def index_articles(payload: list[dict[str, Any]]) -> None:
    """Bulk-index a batch; items Elasticsearch asks us to retry go back on the queue."""
    retry = stages().handle_index(load_envelopes(payload))
    if not retry:
        return
    if len(retry) == len(payload):
        raise TransientError(f"elasticsearch asked to retry all {len(retry)} items")
    # Only the failed items go back, as a new delayed message; the rest are done.
    index_articles.apply_async(args=(dump_envelopes(retry),), queue=INDEX_QUEUE, countdown=5)
