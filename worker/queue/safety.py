"""Settings that would break at-least-once delivery, refused before a worker takes a task.

Redis redelivers a message that has not been acked within the visibility timeout, whether
its worker died or is merely still busy (a countdown retry waits, unacked, in the worker).
So every task must end, retry delays included, well inside that timeout, or it runs twice
at once; and a broker that keeps nothing on disk loses every queued article on a restart.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

import redis
import structlog
from celery.signals import celeryd_init

from worker.settings import Settings, get_settings

log = structlog.get_logger(__name__)

EXIT_UNSAFE = 78  # EX_CONFIG


@dataclass(frozen=True)
class Persistence:
    """What a Redis keeps on disk: append-only file and/or RDB snapshots."""

    aof: bool
    snapshots: bool

    @property
    def volatile(self) -> bool:
        """True when a restart loses everything."""
        return not (self.aof or self.snapshots)


def unsafe_settings(settings: Settings, persistence: Persistence | None) -> list[str]:
    """Why these settings are unsafe, one sentence each ([] when they are safe)."""
    problems = []
    if settings.task_soft_time_limit_s >= settings.task_time_limit_s:
        problems.append(
            f"NEWSWORKER_TASK_SOFT_TIME_LIMIT_S ({settings.task_soft_time_limit_s}) must be below "
            f"NEWSWORKER_TASK_TIME_LIMIT_S ({settings.task_time_limit_s}): the soft limit is what "
            "lets a task quarantine its batch before it is killed"
        )
    if settings.celery_broker_url.startswith(("redis://", "rediss://", "unix://")):
        longest_wait = max(settings.retry_backoff_max_s, settings.retry_after_max_s)
        if settings.task_time_limit_s + longest_wait >= settings.visibility_timeout_s:
            problems.append(
                f"NEWSWORKER_VISIBILITY_TIMEOUT_S ({settings.visibility_timeout_s}) must exceed "
                f"the task time limit ({settings.task_time_limit_s}) plus the longest retry "
                f"delay ({longest_wait}, NEWSWORKER_RETRY_BACKOFF_MAX_S / "
                "NEWSWORKER_RETRY_AFTER_MAX_S): else Redis hands a task still running or "
                "waiting to retry to a second worker"
            )
        if persistence is not None and persistence.volatile and not settings.allow_volatile_broker:
            problems.append(
                "the Redis broker keeps nothing on disk (appendonly no, no save points): a "
                "restart would lose every queued article; turn on appendonly (as `dev up` and "
                "docker-compose.yml do) or set NEWSWORKER_ALLOW_VOLATILE_BROKER=true"
            )
    return problems


def redis_persistence(url: str) -> Persistence | None:
    """The broker's persistence, or None when it cannot be asked (away, CONFIG disabled)."""
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3)
        aof = client.config_get("appendonly").get("appendonly", "no")
        save = client.config_get("save").get("save", "")
    except redis.RedisError as exc:
        log.warning("broker persistence not checked", error=str(exc))
        return None
    return Persistence(aof=str(aof) == "yes", snapshots=bool(str(save).strip()))


def check_or_exit(settings: Settings) -> None:
    """Refuse to start on unsafe settings, naming each problem on stderr."""
    broker = settings.celery_broker_url
    is_redis = broker.startswith(("redis://", "rediss://", "unix://"))
    persistence = redis_persistence(broker) if is_redis else None
    problems = unsafe_settings(settings, persistence)
    if problems:
        for problem in problems:
            print(f"newsworker: unsafe settings: {problem}", file=sys.stderr)
        raise SystemExit(EXIT_UNSAFE)


@celeryd_init.connect
def _check_on_worker_start(**_: Any) -> None:
    check_or_exit(get_settings())
