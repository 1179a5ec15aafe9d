"""How many times each task message has been delivered, kept in Redis.

A message whose worker process dies while running it (SIGKILL, the OOM killer, a crash in
native code) is delivered again: without a count, one poison article would kill worker after
worker for ever. The key is the task id plus its retry number, which a redelivery keeps and a
retry changes.
"""

from __future__ import annotations

import redis

KEY_PREFIX = "newsworker:deliveries:"
TTL_S = 24 * 3600


class DeliveryCounter:
    """INCR on each start of a task message; forgotten when the delivery ends normally."""

    def __init__(self, client: redis.Redis) -> None:
        self.r = client

    @classmethod
    def from_url(cls, url: str) -> DeliveryCounter:
        """A counter on the Redis at ``url``."""
        return cls(redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=5))

    def delivered(self, message_key: str) -> int:
        """Count one more delivery of this message; how many there have been."""
        pipe = self.r.pipeline()
        pipe.incr(KEY_PREFIX + message_key)
        pipe.expire(KEY_PREFIX + message_key, TTL_S)
        count, _ = pipe.execute()
        return int(count)

    def finished(self, message_key: str) -> None:
        """The delivery ended (done, retried or given up): nothing to count any more."""
        self.r.delete(KEY_PREFIX + message_key)
