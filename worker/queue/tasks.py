"""Celery tasks, as thin as web views: deserialise the message, call one stage method.

The adapters are built once per worker process (connections are reused across tasks) and
rebuilt after a failure, so a task that failed to reach a service tries afresh next time.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import structlog
from celery.signals import celeryd_after_setup, worker_process_init

from worker.enrich.annotate import Enricher
from worker.feeds.registry import FeedRegistry
from worker.http.client import FetchPolicy, fetch
from worker.http.robots import page_fetch
from worker.index.store import ElasticStore
from worker.jobs.ledger import JobLedger
from worker.metrics.celery_hooks import use_queue_depths
from worker.pipeline.feed_stages import FeedStages
from worker.pipeline.messages import (
    ArticleEnvelope,
    FeedPollRequest,
    SourceItem,
    dump_envelopes,
    load_envelope,
    load_envelopes,
    payload_job_ids,
)
from worker.pipeline.stages import Stages
from worker.queue import gc_tuning, malloc_tuning, names
from worker.queue.app import app
from worker.queue.batches import BatchStore
from worker.queue.decorator import AnyTask, Body, OnGiveUp, TaskPolicy, pipeline_task
from worker.queue.deliveries import DeliveryCounter
from worker.queue.depth import queue_depths
from worker.queue.outbox import CeleryOutbox
from worker.settings import Settings, get_settings

log = structlog.get_logger(__name__)

use_queue_depths(queue_depths)  # the metrics endpoint's queue gauge asks the broker


@functools.cache
def stages() -> Stages:
    """The article stages with this process's adapters."""
    settings = get_settings()
    store = ElasticStore(settings)
    store.ensure_indices()
    return Stages(settings, store, JobLedger.from_url(settings.redis_url),
                  CeleryOutbox(app, _batches()), Enricher.from_settings(settings))


@functools.cache
def feed_stages() -> FeedStages:
    """The feed stages, sharing the article stages' adapters."""
    st = stages()
    registry = FeedRegistry.from_url(st.settings.redis_url, st.settings.feeds_file)
    pages = page_fetch(fetch, respect_robots_txt=st.settings.respect_robots_txt,
                       ttl_s=st.settings.robots_cache_ttl_s)
    return FeedStages(st, registry, fetch, FetchPolicy.from_settings(st.settings),
                      fetch_page=pages)


@celeryd_after_setup.connect
def _prepare_worker(sender: Any, instance: Any, **_: Any) -> None:
    """An NLP worker loads its models before the pool forks: children share them. Then
    everything loaded is frozen out of garbage collection (``worker.queue.gc_tuning``)."""
    settings = get_settings()
    _tune_malloc(settings)
    if names.NLP_QUEUE in set(instance.app.amqp.queues.consume_from or ()):
        Enricher.from_settings(settings).preload()
    gc_tuning.tune(settings.worker_gc_threshold)


@worker_process_init.connect
def _tune_pool_process(**_: Any) -> None:
    """A pool process tunes its own collector (what it inherited is frozen again) and
    allocator (a pool process may be started by a parent that never tuned its own)."""
    settings = get_settings()
    _tune_malloc(settings)
    gc_tuning.tune(settings.worker_gc_threshold)


def _tune_malloc(settings: Settings) -> None:
    malloc_tuning.tune(settings.worker_malloc_trim_threshold_kib * 1024,
                       settings.worker_malloc_mmap_threshold_kib * 1024)


def _reset_adapters() -> None:
    # A failed ensure_indices or a lost connection must be tried again, not cached.
    feed_stages.cache_clear()
    stages.cache_clear()


@functools.cache
def _ledger() -> JobLedger:
    # Apart from stages(): it must work while Elasticsearch (which stages() needs) is away.
    return JobLedger.from_url(get_settings().redis_url)


def _note_waiting(payload: Any, reason: str, retries: int) -> None:
    _ledger().note_waiting(payload_job_ids(payload), reason, retries)


def _note_recovered(payload: Any) -> None:
    _ledger().clear_waiting(payload_job_ids(payload))


@functools.cache
def _deliveries() -> DeliveryCounter:
    return DeliveryCounter(_ledger().r)  # the ledger's connection pool: one per process


@functools.cache
def _batches() -> BatchStore:
    return BatchStore(_ledger().r)


def _envelopes(message: Any) -> list[ArticleEnvelope]:
    """The articles of a message: its stored batch (none left: it was finished just before
    its ack was lost, a redelivery) or its inline payload."""
    payload = _batches().payload(message)
    if payload is None:
        log.warning("batch already finished", batch=message.get("batch"),
                    articles=message.get("articles"))
        return []
    return load_envelopes(payload)


POLICY = TaskPolicy(
    backoff_cap_s=lambda: get_settings().retry_backoff_max_s,
    retry_after_cap_s=lambda: get_settings().retry_after_max_s,
    max_deliveries=lambda: get_settings().max_deliveries,
    delivered=lambda key: _deliveries().delivered(key),
    finished=lambda key: _deliveries().finished(key),
    on_retry=_reset_adapters, on_waiting=_note_waiting, on_recovered=_note_recovered,
    release=lambda message: _batches().release(message),
)


def _one_per_article(message: Any) -> list[Any]:
    return [dump_envelopes([envelope]) for envelope in _envelopes(message)]


def _task(name: str, queue: str, on_give_up: OnGiveUp,
          split: Callable[[Any], list[Any]] | None = None) -> Callable[[Body], AnyTask]:
    return pipeline_task(app, name, queue, on_give_up=on_give_up, policy=POLICY, split=split)


def _give_up_articles(stage: str) -> OnGiveUp:
    def give_up(message: Any, exc: BaseException) -> None:
        envelopes = _envelopes(message)
        if envelopes:
            stages().quarantine.articles(envelopes, exc, stage=stage)

    return give_up


def _source_items(payload: dict[str, Any] | list[dict[str, Any]]) -> list[SourceItem]:
    return [SourceItem.model_validate(p) for p in (payload if isinstance(payload, list)
                                                   else [payload])]


def _one_per_source(payload: dict[str, Any] | list[dict[str, Any]]) -> list[Any]:
    return payload if isinstance(payload, list) else [payload]


def _give_up_source(payload: dict[str, Any] | list[dict[str, Any]], exc: BaseException) -> None:
    for item in _source_items(payload):
        stages().quarantine.source(item, exc, stage="parse")


def _give_up_fulltext(payload: str | dict[str, Any], exc: BaseException) -> None:
    stages().quarantine.articles([load_envelope(payload)], exc, stage="fulltext")


def _give_up_poll(payload: dict[str, Any], exc: BaseException) -> None:
    feed_stages().give_up_poll(FeedPollRequest.model_validate(payload), exc)


@_task(names.PARSE_SOURCE, names.FETCH_QUEUE, _give_up_source, _one_per_source)
def parse_source(payload: dict[str, Any] | list[dict[str, Any]]) -> None:
    """Parse a seed file (or a group of small ones) into articles and send them to NLP."""
    stages().handle_sources(_source_items(payload))


@_task(names.ENRICH_ARTICLES, names.NLP_QUEUE, _give_up_articles("enrich"), _one_per_article)
def enrich_articles(message: Any) -> None:
    """Language and entities for a batch, then on to indexing."""
    envelopes = _envelopes(message)
    if envelopes:
        stages().handle_enrich(envelopes)


@_task(names.INDEX_ARTICLES, names.INDEX_QUEUE, _give_up_articles("index"), _one_per_article)
def index_articles(message: Any) -> None:
    """Bulk-index a batch; items Elasticsearch asks us to retry go back on the queue."""
    envelopes = _envelopes(message)
    if envelopes:
        stages().index_and_requeue(envelopes)


@_task(names.POLL_FEED, names.FETCH_QUEUE, _give_up_poll)
def poll_feed(payload: dict[str, Any]) -> None:
    """Poll one feed; new and edited entries go on to full text or straight to NLP."""
    feed_stages().handle_poll(FeedPollRequest.model_validate(payload))


@_task(names.FETCH_FULLTEXT, names.FETCH_QUEUE, _give_up_fulltext)
def fetch_fulltext(payload: str | dict[str, Any]) -> None:
    """Fetch a summary-only entry's page; if the page cannot be had, the summary is indexed."""
    feed_stages().handle_fulltext(load_envelope(payload))


@app.task(name=names.SCHEDULE_FEEDS, queue=names.FETCH_QUEUE, ignore_result=True)
def schedule_feeds() -> int:
    """Beat's tick: queue a poll for every feed that is due and not being polled."""
    return feed_stages().schedule_due()
