"""The fate policy: what happens to a failed task is decided by its exception class alone."""

from __future__ import annotations

from typing import Any

import pytest

from worker.errors import NotTextError, QuarantineError, TransientError
from worker.http import RateLimitedError
from worker.pipeline.fate import (
    RETRY_AFTER_CAP_S,
    UNEXPECTED_ERROR_TRIES,
    GiveUp,
    Retry,
    backoff_s,
    fate_of,
    run_with_policy,
)


class Recorder:
    """A task body that raises what it is given, and a give-up that records its calls."""

    def __init__(self, error: Exception | None = None, give_up_error: Exception | None = None):
        self.error = error
        self.give_up_error = give_up_error
        self.ran: list[Any] = []
        self.given_up: list[tuple[Any, BaseException]] = []

    def body(self, payload: Any) -> None:
        self.ran.append(payload)
        if self.error is not None:
            raise self.error

    def give_up(self, payload: Any, exc: BaseException) -> None:
        self.given_up.append((payload, exc))
        if self.give_up_error is not None:
            raise self.give_up_error


def run(rec: Recorder, retries: int = 0, cap: int = 600) -> Retry | None:
    return run_with_policy(rec.body, {"n": 1}, rec.give_up, retries=retries, backoff_cap_s=cap)


def test_success_is_done() -> None:
    rec = Recorder()
    assert run(rec) is None
    assert rec.ran == [{"n": 1}] and rec.given_up == []


def test_transient_errors_retry_for_ever_with_capped_backoff_and_stay_queued() -> None:
    rec = Recorder(TransientError("elasticsearch unreachable"))
    countdowns = [run(rec, retries=n, cap=20) for n in range(200)]
    assert all(isinstance(r, Retry) for r in countdowns)
    seconds = [r.countdown_s for r in countdowns if r]
    assert seconds[0] == 1 and 1 <= seconds[2] <= 4
    # However long the outage, a retry probes at least every 20 s, so work resumes soon.
    assert max(seconds) == 20 and all(s <= 20 for s in seconds)
    assert rec.given_up == []  # never quarantined: the item is still queued


def test_backoff_is_jittered_between_half_and_all_of_the_exponential_step() -> None:
    assert [backoff_s(n, 600, rand=lambda: 0.0) for n in range(5)] == [1, 1, 2, 4, 8]
    assert [backoff_s(n, 600, rand=lambda: 1.0) for n in range(5)] == [1, 2, 4, 8, 16]
    spread = {backoff_s(10, 20) for _ in range(200)}
    assert min(spread) >= 10 and max(spread) <= 20 and len(spread) > 3


def test_a_retry_after_beyond_the_broker_redelivery_is_capped() -> None:
    rec = Recorder(RateLimitedError("slow down", status=429, retry_after_s=86400.0))
    retry = run(rec, retries=0)
    assert retry is not None and retry.countdown_s == RETRY_AFTER_CAP_S


def test_retry_after_is_a_floor_for_the_next_try() -> None:
    rec = Recorder(RateLimitedError("slow down", status=429, retry_after_s=120.0))
    retry = run(rec, retries=0)
    assert retry is not None and retry.countdown_s == 120


def test_quarantine_errors_give_up_at_once_with_their_reason() -> None:
    error = NotTextError("binary file")
    rec = Recorder(error)
    assert run(rec) is None
    assert rec.given_up == [({"n": 1}, error)]
    assert fate_of(error, 0, backoff_cap_s=600) == GiveUp(error)


def test_unexpected_errors_are_retried_twice_then_quarantined() -> None:
    error = KeyError("bug")
    rec = Recorder(error)
    fates = [run(rec, retries=n) for n in range(UNEXPECTED_ERROR_TRIES)]
    assert [isinstance(f, Retry) for f in fates] == [True, True, False]
    assert len(rec.ran) == 3
    assert rec.given_up == [({"n": 1}, error)]


def test_a_failing_quarantine_keeps_the_item_queued() -> None:
    rec = Recorder(QuarantineError("bad"), give_up_error=TransientError("es down"))
    retry = run(rec, retries=3)
    assert retry is not None and 4 <= retry.countdown_s <= 8


def test_a_broken_quarantine_is_not_swallowed() -> None:
    rec = Recorder(QuarantineError("bad"), give_up_error=ValueError("mapping bug"))
    with pytest.raises(ValueError):
        run(rec)
