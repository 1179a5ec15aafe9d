"""The adapters a CLI command talks to, built from the settings as they are now (`dev up`
may have just written new addresses, so nothing here is built at import time)."""

from __future__ import annotations

from worker.feeds.registry import FeedRegistry
from worker.index.store import ElasticStore
from worker.jobs.ledger import JobLedger
from worker.jobs.summary import JobSummary
from worker.queue.batches import BatchStore
from worker.queue.celery_config import make_app
from worker.queue.outbox import CeleryOutbox
from worker.settings import get_settings


def ledger() -> JobLedger:
    """The job ledger."""
    return JobLedger.from_url(get_settings().redis_url)


def outbox() -> CeleryOutbox:
    """Sends task messages to the workers' queues."""
    settings = get_settings()
    return CeleryOutbox(make_app(settings), BatchStore.from_url(settings.redis_url))


def store() -> ElasticStore:
    """The Elasticsearch indices."""
    return ElasticStore(get_settings())


def registry() -> FeedRegistry:
    """The registered feeds and their state."""
    settings = get_settings()
    return FeedRegistry.from_url(settings.redis_url, settings.feeds_file)


def wait_for(job_id: str, wait: bool, timeout_s: float) -> JobSummary:
    """The job's summary, after waiting (if asked) until nothing of it is queued; a finished
    job's documents are made searchable before it is reported."""
    jobs = ledger()
    summary = jobs.wait(job_id, timeout_s) if wait else jobs.summary(job_id)
    if wait and summary.done:
        store().refresh()
    return summary
