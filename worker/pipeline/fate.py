"""What happens to a failed task, decided by the exception class alone (pure, no Celery).

* ``TransientError`` (a service is down, 429, 5xx): retry with jittered exponential backoff
  for as long as it takes, never sooner than a server's ``Retry-After`` (up to
  ``RETRY_AFTER_CAP_S``); the item stays queued. The backoff cap is short (20 s by default):
  a retry is the probe that notices a service is back, so work resumes within that bound.
* ``QuarantineError`` (bad input): give up now; the item is quarantined with its reason.
* Anything else (a bug, a time limit): retried ``UNEXPECTED_ERROR_TRIES - 1`` times, then
  quarantined with its error class, so one poison item cannot loop for ever.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import structlog

from worker.errors import QuarantineError, TransientError

UNEXPECTED_ERROR_TRIES = 3
UNEXPECTED_ERROR_COUNTDOWN_S = 2
BACKOFF_EXPONENT_CAP = 12
# A server's Retry-After is honoured up to this (settings: retry_after_max_s); longer would
# outlast the broker's visibility timeout (see worker.queue.safety): the task would run twice.
RETRY_AFTER_CAP_S = 300
log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Retry:
    """Run the task again after ``countdown_s`` (``cause`` is what failed)."""

    countdown_s: int
    cause: Exception | None = None

    @property
    def waits_on_service(self) -> bool:
        """True when a service failed (not our code): the job is waiting, and says so."""
        return isinstance(self.cause, TransientError)


@dataclass(frozen=True)
class GiveUp:
    """Stop retrying: hand the item and its failure to the stage's give-up (quarantine)."""

    failure: BaseException


Fate = Retry | GiveUp


def backoff_s(retries: int, cap_s: int, rand: Callable[[], float] = random.random) -> int:
    """Exponential backoff after ``retries`` earlier tries, at most ``cap_s``, with "equal
    jitter" (between half and all of it) so that tasks failed together do not return together."""
    base = min(1 << min(retries, BACKOFF_EXPONENT_CAP), cap_s)
    return max(1, min(cap_s, round(base / 2 + rand() * base / 2)))


def fate_of(exc: BaseException, retries: int, *, backoff_cap_s: int,
            retry_after_cap_s: int = RETRY_AFTER_CAP_S,
            rand: Callable[[], float] = random.random) -> Fate:
    """The fate of a task that raised ``exc`` after ``retries`` earlier retries."""
    if isinstance(exc, TransientError):
        hint = min(getattr(exc, "retry_after_s", None) or 0, retry_after_cap_s)
        return Retry(max(backoff_s(retries, backoff_cap_s, rand), int(hint)))
    if isinstance(exc, QuarantineError):
        return GiveUp(exc)
    if retries + 1 < UNEXPECTED_ERROR_TRIES:
        return Retry(UNEXPECTED_ERROR_COUNTDOWN_S)
    return GiveUp(exc)


def run_with_policy(
    body: Callable[[Any], None],
    payload: Any,
    give_up: Callable[[Any, BaseException], None],
    *,
    retries: int,
    backoff_cap_s: int,
    retry_after_cap_s: int = RETRY_AFTER_CAP_S,
) -> Retry | None:
    """Run one task body under the policy: None when the item is done (or quarantined),
    else the retry to schedule. Unexpected errors are logged with their traceback."""
    try:
        body(payload)
        return None
    except Exception as exc:  # includes SoftTimeLimitExceeded
        fate = fate_of(exc, retries, backoff_cap_s=backoff_cap_s,
                       retry_after_cap_s=retry_after_cap_s)
        if isinstance(fate, Retry):
            if not isinstance(exc, TransientError):
                log.exception("unexpected error, retrying", retries=retries)
            return Retry(fate.countdown_s, exc)
    try:
        give_up(payload, fate.failure)
    except TransientError as exc:  # cannot even quarantine: keep it queued
        return Retry(backoff_s(retries, backoff_cap_s), exc)
    return None
