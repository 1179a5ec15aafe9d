"""When to poll a feed next: pure rules for success, server hints, errors and failing feeds."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

MIN_INTERVAL = timedelta(minutes=5)
MAX_INTERVAL = timedelta(hours=6)
MAX_BACKOFF = timedelta(hours=12)
FAILING_AFTER = 5  # consecutive errors before a feed is shown as failing (still retried)
VERIFY_EVERY = 10  # polls between unconditional fetches that check the validators
JITTER = 0.2


def _bounded(value: timedelta) -> timedelta:
    return max(MIN_INTERVAL, min(MAX_INTERVAL, value))


def next_poll_after_success(
    now: datetime,
    interval: timedelta,
    *,
    cache_ttl_s: float | None = None,
    feed_ttl_minutes: int | None = None,
    rng: random.Random | None = None,
) -> datetime:
    """Base interval, lengthened (never shortened) by Cache-Control/Expires or <ttl>, bounded."""
    wait = interval
    if cache_ttl_s is not None:
        wait = max(wait, timedelta(seconds=cache_ttl_s))
    if feed_ttl_minutes:
        wait = max(wait, timedelta(minutes=feed_ttl_minutes))
    return now + _jittered(_bounded(wait), rng)


def next_poll_after_error(
    now: datetime,
    interval: timedelta,
    consecutive_errors: int,
    *,
    retry_after_s: float | None = None,
    rng: random.Random | None = None,
) -> datetime:
    """Exponential backoff with jitter, capped; a Retry-After is honoured as a floor."""
    backoff = min(interval * (2 ** max(consecutive_errors - 1, 0)), MAX_BACKOFF)
    wait = _jittered(max(backoff, MIN_INTERVAL), rng)
    if retry_after_s is not None:
        wait = max(wait, timedelta(seconds=retry_after_s))
    return now + wait


def status_for(consecutive_errors: int) -> str:
    """'ok' or 'failing'; a failing feed keeps being polled, slowly, and is listed as such."""
    return "failing" if consecutive_errors >= FAILING_AFTER else "ok"


def should_verify_validators(polls: int, trusted: bool) -> bool:
    """Fetch without validators now and then, so a lying ETag cannot hide new entries."""
    return not trusted or polls % VERIFY_EVERY == 0


def _jittered(wait: timedelta, rng: random.Random | None) -> timedelta:
    factor = 1 + (rng or random).uniform(-JITTER, JITTER)
    return timedelta(seconds=wait.total_seconds() * factor)
