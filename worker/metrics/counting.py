"""The calls the stages make where an outcome is known. They never raise: a metrics file
that cannot be written must not change what happens to an article."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, ParamSpec

import structlog

from worker.errors import QuarantineError
from worker.metrics import definitions as m
from worker.record import Article

log = structlog.get_logger(__name__)
P = ParamSpec("P")


def _never_raise(count: Callable[P, None]) -> Callable[P, None]:
    @functools.wraps(count)
    def safe(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            count(*args, **kwargs)
        except Exception as exc:
            log.warning("metrics not counted", call=count.__name__, error=str(exc))

    return safe


def error_kind(exc: BaseException) -> str:
    """A bounded label for an error: its reason code if it is bad input, else its class."""
    return exc.reason_code if isinstance(exc, QuarantineError) else type(exc).__name__


def words_per_second(words: int, seconds: float) -> float:
    """Throughput of one batch (0 for a batch that took no measurable time)."""
    return words / seconds if seconds > 0 else 0.0


@_never_raise
def count_parsed(source_kind: str, n: int) -> None:
    """Articles of one source handed on to NLP."""
    if n:
        m.ARTICLES_PARSED.labels(source_kind=source_kind).inc(n)


@_never_raise
def count_written(outcomes: Iterable[str]) -> None:
    """What the index stage made of each article (indexed, updated, duplicate)."""
    for outcome in outcomes:
        m.ARTICLES_WRITTEN.labels(outcome=outcome).inc()


@_never_raise
def count_quarantined(documents: Iterable[Mapping[str, Any]]) -> None:
    """Quarantine entries written, each by its own stage and reason code."""
    for doc in documents:
        m.QUARANTINED.labels(stage=doc["stage"], reason_code=doc["reason_code"]).inc()


@_never_raise
def count_feed_error(exc: BaseException) -> None:
    """A feed poll that failed."""
    m.FEED_POLL_ERRORS.labels(kind=error_kind(exc)).inc()


@_never_raise
def count_nlp_batch(results: Sequence[Article | Exception], seconds: float) -> None:
    """Words enriched in one batch (failed articles count no words) and the time it took."""
    words = sum(r.word_count for r in results if isinstance(r, Article))
    m.NLP_WORDS.inc(words)
    m.NLP_SECONDS.inc(max(seconds, 0.0))
    m.NLP_LAST_WORDS_PER_SECOND.set(words_per_second(words, seconds))
