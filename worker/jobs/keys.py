"""The one place that names jobs and the ledger keys of their sources, articles and records.

A source key counts one input (a seed file, one feed poll); each article it yields is
``{source}#{n}`` and each bad record ``{source}!{n}`` (those beyond the per-file cap share one
``{source}!rest``), so redelivered work finds the same keys and the ledger's first-write-wins
counting stays exact.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from worker.pipeline.messages import ArticleEnvelope
from worker.record import Article


def new_job_id(prefix: str = "") -> str:
    """A short unique job id."""
    return f"{prefix}{uuid.uuid4().hex[:12]}"


def seed_source_key(job_id: str, n: int) -> str:
    """Key of the n-th seed file of a job."""
    return f"{job_id}:{n}"


def feed_source_key(job_id: str, feed_id: str) -> str:
    """Key of one feed poll within a job."""
    return f"{job_id}:feed:{feed_id}"


def stored_source_key(job_id: str) -> str:
    """Key of the already-indexed documents a re-enrichment job sends again."""
    return f"{job_id}:index"


def article_key(source_key: str, n: int) -> str:
    """Key of the n-th article a source yielded."""
    return f"{source_key}#{n}"


def record_error_key(source_key: str, n: int) -> str:
    """Key of the n-th bad record inside a source whose good records go on."""
    return f"{source_key}!{n}"


def bad_records_rest_key(source_key: str) -> str:
    """Key of the one entry that stands for a source's bad records beyond the per-file cap."""
    return f"{source_key}!rest"


def envelopes_for(
    job_id: str, source_key: str, articles: Sequence[Article]
) -> list[ArticleEnvelope]:
    """The source's articles, each wrapped with the ledger key that counts it."""
    return [ArticleEnvelope(job_id=job_id, ledger_key=article_key(source_key, n), article=a)
            for n, a in enumerate(articles)]
