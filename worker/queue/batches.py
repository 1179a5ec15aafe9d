"""Article batches kept in Redis while their task message carries only a claim on them.

A batch of 128 enriched articles is some 2.4 MB of JSON. Sent inline, the worker's main
process parses it when the message arrives, Kombu writes it again into its unacked hash, and
it is pickled to the pool process, which parses it once more: on the index worker that was a
quarter of the stage's CPU beside Elasticsearch's. A claim (the Claim Check pattern) is a few
bytes; the pool process reads the batch itself, once, straight into the validator.

A batch is deleted only when its message is finished for good (written, quarantined, or split
into new messages), never on a retry: a redelivered claim whose batch is gone was finished
just before its ack was lost, and there is nothing left to do.
"""

from __future__ import annotations

import uuid
from typing import Any

import redis

KEY_PREFIX = "newsworker:batch:"


def is_claim(payload: Any) -> bool:
    """True for a claim message (older messages carry their batch inline)."""
    return isinstance(payload, dict) and isinstance(payload.get("batch"), str)


def batch_key_pattern(job_id: str) -> str:
    """The keys of a job's batches still held (the job of a batch's first article)."""
    return f"{KEY_PREFIX}{job_id}:*"


class BatchStore:
    """Puts, reads and releases batches under ``newsworker:batch:<job>:<id>``, without expiry:
    a batch waits as long as its message does (a queue held up for days loses nothing)."""

    def __init__(self, client: redis.Redis) -> None:
        self.r = client

    @classmethod
    def from_url(cls, url: str) -> BatchStore:
        """A store on the Redis at ``url`` (the ledger's)."""
        return cls(redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=30))

    def claim(self, batch_json: str, job_ids: list[str], articles: int) -> dict[str, Any]:
        """Store the batch; the message that stands for it (its jobs named, for bookkeeping
        that must not read the batch)."""
        jobs = sorted(set(job_ids))
        key = f"{KEY_PREFIX}{jobs[0] if jobs else '-'}:{uuid.uuid4().hex}"
        self.r.set(key, batch_json)
        return {"batch": key, "job_ids": jobs, "articles": articles}

    def payload(self, message: Any) -> Any:
        """What the stage reads: a claim's batch (bytes of JSON; None once released), or an
        inline payload as it is."""
        if not is_claim(message):
            return message
        return self.r.get(message["batch"])

    def release(self, message: Any) -> None:
        """Delete a claim's batch: its message is finished (inline payloads: nothing to do)."""
        if is_claim(message):
            self.r.delete(message["batch"])
