"""The feed registry: feeds from config/feeds.yaml and the CLI, each with its state in Redis."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import redis

from worker.feeds.config import FeedConfig, FeedState, load_config

_PREFIX = "newsworker:feed"


class FeedRegistry:
    """Config feeds plus CLI-added feeds, and the state of each, in Redis."""

    def __init__(self, client: redis.Redis, config_path: Path) -> None:
        self.r = client
        self.config_path = config_path

    @classmethod
    def from_url(cls, redis_url: str, config_path: Path) -> FeedRegistry:
        """The registry kept in the Redis at ``redis_url``."""
        return cls(redis.Redis.from_url(redis_url), config_path)

    def feeds(self) -> dict[str, FeedConfig]:
        """Every known feed by id; CLI entries override config entries with the same URL."""
        feeds = {f.feed_id: f for f in load_config(self.config_path)}
        for raw in self.r.hvals(f"{_PREFIX}s:cli"):
            cfg = FeedConfig.model_validate_json(raw)
            feeds[cfg.feed_id] = cfg
        return feeds

    def add(self, cfg: FeedConfig) -> FeedConfig:
        """Register a feed from the CLI (idempotent)."""
        cfg = cfg.model_copy(update={"added_by": "cli"})
        self.r.hset(f"{_PREFIX}s:cli", cfg.feed_id, cfg.model_dump_json())
        return cfg

    def remove(self, fid: str) -> bool:
        """Forget a CLI feed and its state; config feeds are removed from the YAML file."""
        removed = bool(self.r.hdel(f"{_PREFIX}s:cli", fid))
        self.r.delete(self._state_key(fid), self._seen_key(fid))
        return removed

    def state(self, fid: str) -> FeedState:
        """The stored state of a feed (a new feed has the default state)."""
        raw = self.r.get(self._state_key(fid))
        return FeedState.model_validate_json(raw) if raw else FeedState()

    def save_state(self, fid: str, state: FeedState) -> None:
        """Store a feed's state after a poll."""
        self.r.set(self._state_key(fid), state.model_dump_json())

    def lease(self, fid: str, seconds: int) -> bool:
        """Take the right to poll a feed now; False if another poll holds it."""
        return bool(self.r.set(f"{_PREFIX}:{fid}:lease", "1", nx=True, ex=seconds))

    def release(self, fid: str) -> None:
        """Give the poll lease back."""
        self.r.delete(f"{_PREFIX}:{fid}:lease")

    def seen(self, fid: str, keys: list[str]) -> dict[str, str]:
        """Stored fingerprints of entries already handed on, by entry key."""
        if not keys:
            return {}
        values = self.r.hmget(self._seen_key(fid), keys)
        return {k: v.decode() if isinstance(v, bytes) else v
                for k, v in zip(keys, values, strict=True) if v is not None}

    def mark_seen(self, fid: str, fingerprints: dict[str, str]) -> None:
        """Remember entries handed on, so an unchanged entry is not fetched again."""
        pipe = self.r.pipeline()
        for key, value in fingerprints.items():
            pipe.hset(self._seen_key(fid), key, value)
        pipe.execute()

    def due(self, now: datetime | None = None) -> list[FeedConfig]:
        """Feeds whose next poll time has come (new feeds are due at once)."""
        now = now or datetime.now(UTC)
        return [
            cfg for fid, cfg in self.feeds().items()
            if (state := self.state(fid)).next_poll_at is None or state.next_poll_at <= now
        ]

    def _state_key(self, fid: str) -> str:
        return f"{_PREFIX}:{fid}:state"

    def _seen_key(self, fid: str) -> str:
        return f"{_PREFIX}:{fid}:seen"
