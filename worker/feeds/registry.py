"""The feed registry: feeds from config/feeds.yaml and the CLI, each with its state in Redis."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import redis
import yaml
from pydantic import BaseModel, Field

from worker.record import normalise_url

_PREFIX = "newsworker:feed"


class FeedConfig(BaseModel):
    """A feed to poll, as configured."""

    url: str
    name: str = ""
    language: str | None = None
    interval_minutes: int = Field(15, ge=1)
    fulltext: Literal["auto", "always", "never"] = "auto"
    added_by: Literal["config", "cli"] = "config"

    @property
    def feed_id(self) -> str:
        """Stable id of the feed: a hash of its normalised URL."""
        return feed_id(self.url)


class FeedState(BaseModel):
    """What we know of a feed between polls."""

    etag: str | None = None
    last_modified: str | None = None
    content_hash: str | None = None
    validators_trusted: bool = True
    validator_lies: int = 0
    polls: int = 0
    status: Literal["new", "ok", "failing"] = "new"
    consecutive_errors: int = 0
    last_error: str | None = None
    last_attempt_at: datetime | None = None
    last_success_at: datetime | None = None
    next_poll_at: datetime | None = None
    entries_seen: int = 0
    articles_submitted: int = 0
    feed_title: str | None = None
    feed_format: str | None = None


def feed_id(url: str) -> str:
    """Stable id of a feed URL."""
    return hashlib.sha256(normalise_url(url).encode()).hexdigest()[:16]


def load_config(path: Path) -> list[FeedConfig]:
    """Feeds listed in a YAML file (missing file: none)."""
    if not path.exists():
        return []
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [FeedConfig.model_validate(entry) for entry in data.get("feeds") or []]


class FeedRegistry:
    """Config feeds plus CLI-added feeds, and the state of each, in Redis."""

    def __init__(self, client: redis.Redis, config_path: Path) -> None:
        self.r = client
        self.config_path = config_path

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


def describe(cfg: FeedConfig, state: FeedState) -> dict[str, object]:
    """One row of `feeds list` / `feeds show`."""
    return {"id": cfg.feed_id, **json.loads(cfg.model_dump_json()),
            **json.loads(state.model_dump_json())}
