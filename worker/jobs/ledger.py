"""The job ledger in Redis: what each ingest job submitted and what became of every item.

All writes are idempotent (HSETNX for outcomes), so a task redelivered under at-least-once
delivery never counts an article twice.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterable

import redis

from worker.jobs.summary import JobSummary, Outcome, Waiting

JOB_TTL_S = 7 * 24 * 3600
# Ledger writes go to Redis in pipelines of at most this many commands.
PIPELINE_CHUNK = 10_000
# job id -> the last transient failure of its tasks (JSON of ``Waiting``).
WAITING_KEY = "newsworker:waiting"
STALE_WAITING_S = 24 * 3600


class JobLedger:
    """Reads and writes job bookkeeping under ``job:{id}:*`` keys."""

    def __init__(self, client: redis.Redis) -> None:
        self.r = client

    @classmethod
    def from_url(cls, redis_url: str) -> JobLedger:
        """A ledger on the Redis at ``redis_url`` (the broker's, in every deployment)."""
        return cls(redis.Redis.from_url(redis_url))

    def _key(self, job_id: str, part: str) -> str:
        return f"newsworker:job:{job_id}:{part}"

    def open_job(self, job_id: str, source_keys: list[str]) -> None:
        """Record the sources of a new job before any task for it is sent."""
        pipe = self.r.pipeline()
        pipe.hset(self._key(job_id, "meta"), mapping={"created_at": time.time()})
        if source_keys:
            pipe.hset(self._key(job_id, "sources"), mapping=dict.fromkeys(source_keys, "pending"))
        for part in ("meta", "sources"):
            pipe.expire(self._key(job_id, part), JOB_TTL_S)
        pipe.execute()

    def register_articles(self, job_id: str, source_key: str, ledger_keys: list[str]) -> None:
        """Count the articles a source produced, then mark the source parsed."""
        articles = self._key(job_id, "articles")
        for start in range(0, len(ledger_keys), PIPELINE_CHUNK):
            pipe = self.r.pipeline()
            for key in ledger_keys[start : start + PIPELINE_CHUNK]:
                pipe.hsetnx(articles, key, source_key)
            pipe.execute()
        # Marked parsed last: a crash before this leaves the source pending, to be redone.
        pipe = self.r.pipeline()
        pipe.hset(self._key(job_id, "sources"), source_key, "parsed")
        pipe.expire(articles, JOB_TTL_S)
        pipe.execute()

    def source_quarantined(self, job_id: str, source_key: str) -> None:
        """A source refused whole counts as one submitted, quarantined item."""
        pipe = self.r.pipeline()
        pipe.hsetnx(self._key(job_id, "articles"), source_key, source_key)
        pipe.hsetnx(self._key(job_id, "outcomes"), source_key, "quarantined")
        pipe.hset(self._key(job_id, "sources"), source_key, "quarantined")
        pipe.expire(self._key(job_id, "articles"), JOB_TTL_S)
        pipe.expire(self._key(job_id, "outcomes"), JOB_TTL_S)
        pipe.execute()

    def source_failed(self, job_id: str, source_key: str, reason: str) -> None:
        """A source that could not be read this time (a feed that is down): no articles."""
        pipe = self.r.pipeline()
        pipe.hset(self._key(job_id, "sources"), source_key, "failed")
        pipe.hset(self._key(job_id, "errors"), source_key, reason)
        pipe.expire(self._key(job_id, "errors"), JOB_TTL_S)
        pipe.execute()

    def record(self, job_id: str, outcomes: dict[str, Outcome]) -> None:
        """Record article outcomes; the first outcome of an item wins."""
        if not outcomes:
            return
        items = list(outcomes.items())
        for start in range(0, len(items), PIPELINE_CHUNK):
            pipe = self.r.pipeline()
            for key, outcome in items[start : start + PIPELINE_CHUNK]:
                pipe.hsetnx(self._key(job_id, "outcomes"), key, outcome)
            pipe.expire(self._key(job_id, "outcomes"), JOB_TTL_S)
            pipe.execute()

    def note_waiting(self, job_ids: Iterable[str], reason: str, retries: int) -> None:
        """A task of these jobs is retried after a transient failure: say what it waits on."""
        now = time.time()
        for job_id in set(job_ids):
            held = _waiting(self.r.hget(WAITING_KEY, job_id))
            since = held.since if held else now
            self.r.hset(WAITING_KEY, job_id, json.dumps(
                {"reason": reason, "since": since, "retries": retries, "last_at": now}))
        self.r.expire(WAITING_KEY, JOB_TTL_S)

    def clear_waiting(self, job_ids: Iterable[str]) -> None:
        """A task of these jobs went through after retries: they no longer wait."""
        ids = list(set(job_ids))
        if ids:
            self.r.hdel(WAITING_KEY, *ids)

    def waiting_jobs(self, fresh_s: float) -> dict[str, Waiting]:
        """Jobs whose tasks failed transiently in the last ``fresh_s`` seconds, newest first
        (a retrying task notes every try); notes older than a day are dropped here."""
        now = time.time()
        found: dict[str, Waiting] = {}
        stale: list[str] = []
        for job_id, value in self.r.hgetall(WAITING_KEY).items():
            waiting = _waiting(value)
            if waiting is None or now - waiting.last_at > STALE_WAITING_S:
                stale.append(_text(job_id))
            elif now - waiting.last_at <= fresh_s:
                found[_text(job_id)] = waiting
        if stale:
            self.r.hdel(WAITING_KEY, *stale)
        return dict(sorted(found.items(), key=lambda kv: -kv[1].last_at))

    def exists(self, job_id: str) -> bool:
        """True for a job this ledger knows."""
        return bool(self.r.exists(self._key(job_id, "meta")))

    def outcome_count(self, job_id: str) -> int:
        """How many items of the job have an outcome: one cheap call, for tight polling."""
        return int(self.r.hlen(self._key(job_id, "outcomes")))

    def summary(self, job_id: str) -> JobSummary:
        """Current counts of a job."""
        sources = self.r.hvals(self._key(job_id, "sources"))
        outcomes = Counter(_text(v) for v in self.r.hvals(self._key(job_id, "outcomes")))
        return JobSummary(
            job_id=job_id,
            sources=len(sources),
            sources_pending=sum(1 for s in sources if _text(s) == "pending"),
            submitted=int(self.r.hlen(self._key(job_id, "articles"))),
            indexed=outcomes["indexed"],
            updated=outcomes["updated"],
            duplicates=outcomes["duplicate"],
            quarantined=outcomes["quarantined"],
            errors=sorted(_text(v) for v in self.r.hvals(self._key(job_id, "errors"))),
            waiting=_waiting(self.r.hget(WAITING_KEY, job_id)),
        )

    def wait(self, job_id: str, timeout_s: float, poll_s: float = 0.25,
             on_poll: Callable[[JobSummary], None] | None = None) -> JobSummary:
        """The job's summary once nothing of it is queued, or when ``timeout_s`` has passed;
        ``on_poll`` sees every summary read on the way (a progress display)."""
        summary = self.summary(job_id)
        deadline = time.monotonic() + timeout_s
        while True:
            if on_poll is not None:
                on_poll(summary)
            if summary.done or time.monotonic() >= deadline:
                return summary
            time.sleep(poll_s)
            summary = self.summary(job_id)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _waiting(value: bytes | str | None) -> Waiting | None:
    if value is None:
        return None
    try:
        return Waiting(**json.loads(value))
    except (ValueError, TypeError):
        return None
