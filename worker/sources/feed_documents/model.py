"""What parsing a feed document yields, and the warnings collected on the way."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from worker.errors import QuarantineError

_MAX_WARNINGS = 50


class NotAFeedError(QuarantineError):
    """The document is not a feed (HTML page, plain text, sitemap, other JSON, junk)."""

    reason_code = "not_a_feed"


@dataclass(slots=True)
class FeedEntry:
    """One feed entry, text already plain; dates are aware UTC, raw strings kept as given."""

    guid: str | None
    url: str | None
    title: str | None
    summary: str | None
    content: str | None
    authors: list[str] = field(default_factory=list)
    published: datetime | None = None
    updated: datetime | None = None
    published_raw: str | None = None
    updated_raw: str | None = None
    language: str | None = None


@dataclass(slots=True)
class ParsedFeed:
    """A parsed feed: what it says about itself, its entries, and what had to be repaired."""

    format: str
    title: str | None
    link: str | None
    language: str | None
    ttl_minutes: int | None
    entries: list[FeedEntry]
    warnings: list[str] = field(default_factory=list)
    encoding: str = "utf-8"
    entries_total: int = 0  # entries in the document, including those cut or dropped


class Notes:
    """Warnings for the caller, bounded in number; clipped fields are counted per field."""

    def __init__(self) -> None:
        self.messages: list[str] = []
        self.overflow = 0
        self.clipped: dict[str, tuple[int, int]] = {}

    def add(self, message: str) -> None:
        if len(self.messages) < _MAX_WARNINGS:
            self.messages.append(message)
        else:
            self.overflow += 1

    def clip(self, value: str | None, name: str, limit: int) -> str | None:
        if value is None or len(value) <= limit:
            return value
        count, longest = self.clipped.get(name, (0, 0))
        self.clipped[name] = (count + 1, max(longest, len(value)))
        return value[:limit].rstrip()

    def done(self, limit: int) -> list[str]:
        for name, (count, longest) in sorted(self.clipped.items()):
            self.add(f"field {name} truncated to {limit} characters in {count} "
                     f"entr{'y' if count == 1 else 'ies'} (longest {longest})")
        if self.overflow:
            self.messages.append(f"{self.overflow} more warnings not shown")
        return self.messages
