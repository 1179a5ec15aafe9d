"""Every metric the workers export, in one place (names are the public contract).

In a prefork pool each process writes its values to files under PROMETHEUS_MULTIPROC_DIR
(prometheus_client decides at import, from the environment); without it they live in this
process's default registry, which is what unit tests and single-process tools see.
"""

from __future__ import annotations

import os

from prometheus_client import Counter, Gauge, Histogram

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def multiproc_dir() -> str | None:
    """The folder the pool's processes share their values through, if multiprocess mode."""
    return os.environ.get(MULTIPROC_ENV) or None


# A missing folder would make the first count raise in every stage: create it up front.
if (_dir := multiproc_dir()) is not None:
    os.makedirs(_dir, exist_ok=True)

PREFIX = "newsworker_"
QUEUE_DEPTH = PREFIX + "queue_depth"  # computed at scrape time (celery_hooks)

ARTICLES_PARSED = Counter(
    PREFIX + "articles_parsed", "Articles read out of sources and sent on to NLP.",
    ["source_kind"],
)
ARTICLES_WRITTEN = Counter(
    PREFIX + "articles_written",
    "Articles the index stage settled: indexed (new), updated (edited), duplicate.",
    ["outcome"],
)
QUARANTINED = Counter(
    PREFIX + "quarantined", "Items refused into the quarantine index.", ["stage", "reason_code"],
)
FEED_POLL_ERRORS = Counter(
    PREFIX + "feed_poll_errors", "Feed polls that failed, by reason code or error class.",
    ["kind"],
)
TASK_SECONDS = Histogram(
    PREFIX + "task_duration_seconds", "Wall time of one task run, by task and final state.",
    ["task", "state"], buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
)
TASK_RETRIES = Counter(PREFIX + "task_retries", "Task runs that asked to be retried.", ["task"])
TASK_FAILURES = Counter(PREFIX + "task_failures", "Task runs that raised (gave up).", ["task"])
NLP_WORDS = Counter(PREFIX + "nlp_words", "Words of the articles the NLP stage enriched.")
NLP_SECONDS = Counter(PREFIX + "nlp_seconds", "Time the NLP stage spent enriching batches.")
NLP_LAST_WORDS_PER_SECOND = Gauge(
    PREFIX + "nlp_last_batch_words_per_second", "Words per second of the latest NLP batch.",
    multiprocess_mode="livemostrecent",
)
WORKER_RSS = Gauge(
    PREFIX + "worker_rss_bytes", "Resident memory of each live worker process.",
    multiprocess_mode="liveall",
)
