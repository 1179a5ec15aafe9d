"""What a feed is (its configuration) and what we know of it between polls (its state)."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, Field

from worker.record import normalise_url


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


def describe(cfg: FeedConfig, state: FeedState) -> dict[str, object]:
    """One row of `feeds list` / `feeds show`."""
    return {"id": cfg.feed_id, **json.loads(cfg.model_dump_json()),
            **json.loads(state.model_dump_json())}
