"""Celery tasks: thin wrappers that move payloads between the pipeline stages.

One decorator sets names, queues and the retry policy by exception class:
TransientError retries with backoff for as long as it takes (the item stays queued);
QuarantineError and any unexpected error after a few tries quarantine the payload.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import redis
import structlog
from celery import Task

from worker.errors import QuarantineError, TransientError
from worker.feeds.registry import FeedConfig, FeedRegistry
from worker.index.store import ElasticStore
from worker.pipeline.messages import ArticleEnvelope, SourceItem, dump_envelopes, load_envelopes
from worker.pipeline.stages import Stages, batches
from worker.queue.app import app
from worker.queue.ledger import JobLedger
from worker.queue.names import FETCH_QUEUE, INDEX_QUEUE, NLP_QUEUE
from worker.record import Provenance
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
                # A server's Retry-After (429/503) is a floor for the next try.
                hint = getattr(exc, "retry_after_s", None) or 0
                raise retry_later(exc, max(backoff(), int(hint))) from exc
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


# -- feeds ---------------------------------------------------------------------------------
def _registry() -> FeedRegistry:
    settings = get_settings()
    return FeedRegistry(stages().ledger.r, settings.feeds_file)


@app.task(name="newsworker.schedule_feeds", queue=FETCH_QUEUE, ignore_result=True)
def schedule_feeds() -> int:
    """Beat's tick: queue a poll for every feed that is due and not being polled."""
    settings = get_settings()
    if not settings.feed_polling_enabled:
        return 0
    registry = _registry()
    now = datetime.now(UTC)
    queued = 0
    for cfg in registry.due(now):
        if registry.lease(cfg.feed_id, settings.task_time_limit_s * 2):
            queue_feed_poll(cfg, f"feed-{cfg.feed_id}-{int(now.timestamp())}")
            queued += 1
    return queued


def feed_source_key(job_id: str, cfg: FeedConfig) -> str:
    """Ledger key of one feed poll within a job."""
    return f"{job_id}:feed:{cfg.feed_id}"


def queue_feed_poll(cfg: FeedConfig, job_id: str) -> None:
    """Open a job for one poll of ``cfg`` and queue it."""
    source_key = feed_source_key(job_id, cfg)
    stages().ledger.open_job(job_id, [source_key])
    send_feed_poll(cfg, job_id, source_key)


def send_feed_poll(cfg: FeedConfig, job_id: str, source_key: str) -> None:
    """Queue one poll of a feed, counted under ``source_key`` of ``job_id``."""
    payload = {"job_id": job_id, "source_key": source_key, "feed": cfg.model_dump(mode="json")}
    poll_feed.apply_async(args=(payload,), queue=FETCH_QUEUE)


def _give_up_poll(payload: dict[str, Any], exc: BaseException) -> None:
    cfg = FeedConfig.model_validate(payload["feed"])
    stages().ledger.source_failed(payload["job_id"], payload["source_key"], str(exc))
    _registry().release(cfg.feed_id)


@pipeline_task("newsworker.poll_feed", FETCH_QUEUE, _give_up_poll)
def poll_feed(payload: dict[str, Any]) -> None:
    """Poll one feed; new and edited entries go on to full text or straight to NLP."""
    from worker.feeds.poll import feed_origin, needs_fulltext
    from worker.feeds.poll import poll_feed as poll
    from worker.sources.fetcher import fetch

    cfg = FeedConfig.model_validate(payload["feed"])
    job_id, source_key = payload["job_id"], payload["source_key"]
    registry, st = _registry(), stages()
    try:
        outcome = poll(cfg, registry.state(cfg.feed_id), st.settings, fetch=fetch,
                       seen=lambda keys: registry.seen(cfg.feed_id, keys), job_id=job_id)
        registry.save_state(cfg.feed_id, outcome.state)
        if outcome.error is not None:
            if outcome.rejected_body is not None:
                item = SourceItem.from_bytes(job_id, source_key, feed_origin(cfg, job_id),
                                             outcome.rejected_body)
                st.quarantine_source(item, outcome.error, stage="feed")
            else:
                st.ledger.source_failed(job_id, source_key, str(outcome.error))
            return
        envelopes = [
            ArticleEnvelope(job_id=job_id, ledger_key=f"{source_key}#{n}", article=article)
            for n, article in enumerate(outcome.articles)
        ]
        st.ledger.register_articles(job_id, source_key, [e.ledger_key for e in envelopes])
        direct = []
        for env in envelopes:
            if needs_fulltext(cfg, env.article):
                fetch_fulltext.apply_async(args=(env.model_dump(mode="json"),), queue=FETCH_QUEUE)
            else:
                direct.append(env)
        for batch in batches(direct, st.settings.batch_size):
            _send_to_nlp(batch)
        registry.mark_seen(cfg.feed_id, outcome.fingerprints)
    finally:
        registry.release(cfg.feed_id)


@pipeline_task("newsworker.fetch_fulltext", FETCH_QUEUE, _give_up_articles("fulltext"))
def fetch_fulltext(payload: dict[str, Any]) -> None:
    """Fetch a summary-only entry's page; if the page cannot be had, the summary is indexed."""
    from worker.errors import QuarantineError as Refused
    from worker.feeds.fulltext import apply_page
    from worker.sources.fetcher import FetchPolicy, fetch
    from worker.sources.page_extract import extract_page

    env = ArticleEnvelope.model_validate(payload)
    settings = get_settings()
    article = env.article
    try:
        result = fetch(article.url or "", FetchPolicy.from_settings(settings))
        article = apply_page(article, extract_page(result.body, url=result.url),
                             datetime.now(UTC))
    except Refused as exc:  # 404, blocked address, no text: keep the feed's summary
        log.warning("fulltext unavailable", url=article.url, reason=str(exc))
        article = article.model_copy(update={"provenance": [*article.provenance, Provenance(
            stage="fulltext", name=f"unavailable:{exc.reason_code}", version="1",
            at=datetime.now(UTC))]})
    _send_to_nlp([env.model_copy(update={"article": article})])
