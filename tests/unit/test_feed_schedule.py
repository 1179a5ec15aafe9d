"""Feed scheduling: server hints honoured within bounds, errors back off, failing is visible."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from worker.feeds.fulltext import choose_published
from worker.feeds.schedule import (
    FAILING_AFTER,
    MAX_BACKOFF,
    MAX_INTERVAL,
    MIN_INTERVAL,
    next_poll_after_error,
    next_poll_after_success,
    should_verify_validators,
    status_for,
)
from worker.record import DateCandidate

NOW = datetime(2026, 1, 1, tzinfo=UTC)
BASE = timedelta(minutes=15)


def _rng() -> random.Random:
    return random.Random(7)


def test_success_uses_interval_with_bounded_jitter() -> None:
    wait = next_poll_after_success(NOW, BASE, rng=_rng()) - NOW
    assert BASE * 0.8 <= wait <= BASE * 1.2


def test_cache_headers_and_ttl_lengthen_but_are_capped() -> None:
    hour = next_poll_after_success(NOW, BASE, cache_ttl_s=3600, rng=_rng()) - NOW
    assert timedelta(minutes=48) <= hour <= timedelta(minutes=72)
    capped = next_poll_after_success(NOW, BASE, feed_ttl_minutes=10_000, rng=_rng()) - NOW
    assert capped <= MAX_INTERVAL * 1.2
    floor = next_poll_after_success(NOW, timedelta(seconds=5), cache_ttl_s=0, rng=_rng()) - NOW
    assert floor >= MIN_INTERVAL * 0.8


def test_errors_back_off_exponentially_up_to_a_cap() -> None:
    waits = [next_poll_after_error(NOW, BASE, n, rng=_rng()) - NOW for n in range(1, 12)]
    assert waits[1] > waits[0] * 1.3
    assert max(waits) <= MAX_BACKOFF * 1.2
    assert waits[-1] >= MAX_BACKOFF * 0.8  # still polled, slowly: never abandoned


def test_retry_after_is_a_floor() -> None:
    wait = next_poll_after_error(NOW, BASE, 1, retry_after_s=7200, rng=_rng()) - NOW
    assert wait >= timedelta(hours=2)


def test_failing_after_n_errors_and_validator_checks() -> None:
    assert status_for(FAILING_AFTER - 1) == "ok"
    assert status_for(FAILING_AFTER) == "failing"
    assert should_verify_validators(10, trusted=True)
    assert not should_verify_validators(3, trusted=True)
    assert should_verify_validators(3, trusted=False)


def test_date_rule_prefers_feed_then_page_and_flags_future_and_conflicts() -> None:
    feed = DateCandidate(source="feed_published", value=NOW - timedelta(hours=2))
    page = DateCandidate(source="page_meta", value=NOW - timedelta(days=3))
    future = DateCandidate(source="feed_published", value=NOW + timedelta(days=30))
    assert choose_published([page, feed], NOW) == (feed.value, ["conflicting"])
    assert choose_published([future, page], NOW) == (page.value, ["future"])
    assert choose_published([], NOW) == (None, [])
