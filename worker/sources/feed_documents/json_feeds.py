"""JSON Feed 1.0 / 1.1 (https://jsonfeed.org/version/1.1) read leniently, then into entries.

feedparser does not read JSON Feed, and the format is small enough to read ourselves: a
wrong type in one field costs that field (with a warning), never the whole feed. Dates are
RFC 3339 and come out as aware UTC datetimes; their raw strings are kept.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from worker.sources.date_text import reread
from worker.sources.feed_documents.html_text import body_text
from worker.sources.feed_documents.model import FeedEntry, NotAFeedError, Notes, ParsedFeed

VERSION_PREFIXES = ("https://jsonfeed.org/version/", "http://jsonfeed.org/version/")
_FORMATS = {"1": "json10", "1.0": "json10", "1.1": "json11"}


@dataclass(slots=True)
class JsonFeedItem:
    """One item as the feed states it; HTML is left as HTML for the caller to convert."""

    id: str | None
    url: str | None = None
    external_url: str | None = None
    title: str | None = None
    content_html: str | None = None
    content_text: str | None = None
    summary: str | None = None
    date_published: datetime | None = None
    date_modified: datetime | None = None
    date_published_raw: str | None = None
    date_modified_raw: str | None = None
    authors: list[str] = field(default_factory=list)
    language: str | None = None
    tags: list[str] = field(default_factory=list)


@dataclass(slots=True)
class JsonFeed:
    """A JSON Feed document; ``items`` holds at most ``max_items`` of ``item_count`` items."""

    version: str
    format: str
    title: str | None
    home_page_url: str | None
    feed_url: str | None
    description: str | None
    language: str | None
    authors: list[str]
    items: list[JsonFeedItem]
    item_count: int
    warnings: list[str] = field(default_factory=list)


def parse_json_feed(document: str | bytes, *, max_items: int | None = None) -> JsonFeed:
    """Read a JSON Feed; raise NotAFeedError for malformed JSON or JSON that is no feed."""
    try:
        data = json.loads(document)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError
        raise NotAFeedError(f"malformed JSON, not a feed: {exc}") from None
    if not isinstance(data, dict):
        raise NotAFeedError(f"JSON document is not a JSON Feed (top level is {_kind(data)})")
    version = data.get("version")
    if not isinstance(version, str) or not version.startswith(VERSION_PREFIXES):
        raise NotAFeedError(
            f"JSON document is not a JSON Feed (version {version!r}, expected "
            f"'{VERSION_PREFIXES[0]}1.1')")
    items = data.get("items")
    if not isinstance(items, list):
        raise NotAFeedError(f"JSON Feed without an items list (items is {_kind(items)})")
    warnings: list[str] = []
    number = version.rsplit("/", 1)[-1]
    feed_format = _FORMATS.get(number)
    if feed_format is None:
        feed_format = "json11"
        warnings.append(f"unknown JSON Feed version {number!r}, read as 1.1")
    fields = _Fields(warnings)
    selected = items if max_items is None else items[:max_items]
    read = [_item(raw, fields) for raw in selected]
    feed = JsonFeed(
        version=version,
        format=feed_format,
        title=fields.text(data, "title"),
        home_page_url=fields.text(data, "home_page_url"),
        feed_url=fields.text(data, "feed_url"),
        description=fields.text(data, "description"),
        language=fields.text(data, "language"),
        authors=_authors(data, fields),
        items=[item for item in read if item is not None],
        item_count=len(items),
        warnings=warnings,
    )
    fields.flush()
    return feed


def parse_rfc3339(value: str) -> datetime | None:
    """An RFC 3339 timestamp as an aware UTC datetime (no offset: taken as UTC); None if bad."""
    try:
        parsed = datetime.fromisoformat(value.strip())
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        return None


def _date(raw: str | None) -> datetime | None:
    """RFC 3339 as the spec says, else a date with month names as feeds in the wild write."""
    return reread(parse_rfc3339(raw), raw) if raw else None


def _kind(value: object) -> str:
    return "missing" if value is None else f"a JSON {type(value).__name__}"


class _Fields:
    """Typed access to untyped JSON, counting the fields dropped for a wrong type."""

    def __init__(self, warnings: list[str]) -> None:
        self.warnings = warnings
        self.dropped: dict[str, int] = {}

    def text(self, obj: dict[str, Any], key: str, *, numbers: bool = False) -> str | None:
        value = obj.get(key)
        if value is None or isinstance(value, str):
            return value
        if numbers and isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        self.dropped[key] = self.dropped.get(key, 0) + 1
        return None

    def flush(self) -> None:
        for key, count in sorted(self.dropped.items()):
            self.warnings.append(f"JSON Feed field {key!r} of the wrong type ignored {count}x")
        self.dropped.clear()


def _authors(obj: dict[str, Any], fields: _Fields) -> list[str]:
    """Author names: 1.1 ``authors`` list, else the 1.0 ``author`` object."""
    raw = obj.get("authors")
    candidates = raw if isinstance(raw, list) else [obj.get("author")]
    names: list[str] = []
    for author in candidates:
        if isinstance(author, dict):
            name = fields.text(author, "name")
            if name and name.strip() and name.strip() not in names:
                names.append(name.strip())
    return names


def _item(raw: object, fields: _Fields) -> JsonFeedItem | None:
    if not isinstance(raw, dict):
        fields.dropped["items[] (not an object)"] = (
            fields.dropped.get("items[] (not an object)", 0) + 1)
        return None
    published_raw = fields.text(raw, "date_published")
    modified_raw = fields.text(raw, "date_modified")
    tags = raw.get("tags")
    return JsonFeedItem(
        id=fields.text(raw, "id", numbers=True),
        url=fields.text(raw, "url"),
        external_url=fields.text(raw, "external_url"),
        title=fields.text(raw, "title"),
        content_html=fields.text(raw, "content_html"),
        content_text=fields.text(raw, "content_text"),
        summary=fields.text(raw, "summary"),
        date_published=_date(published_raw),
        date_modified=_date(modified_raw),
        date_published_raw=published_raw,
        date_modified_raw=modified_raw,
        authors=_authors(raw, fields),
        language=fields.text(raw, "language"),
        tags=[t for t in tags if isinstance(t, str)] if isinstance(tags, list) else [],
    )


def from_json(text: str, max_entries: int, max_field_chars: int, notes: Notes) -> ParsedFeed:
    """A JSON Feed document as a ParsedFeed, its text fields reduced like an XML feed's."""
    feed: JsonFeed = parse_json_feed(text, max_items=max_entries)
    for warning in feed.warnings:
        notes.add(warning)
    if feed.item_count > max_entries:
        notes.add(f"truncated to {max_entries} entries of {feed.item_count}")
    entries: list[FeedEntry] = []
    limit = max_field_chars
    for item in feed.items:
        content = body_text(item.content_html, "text/html") or body_text(
            item.content_text, "text/plain")
        entries.append(FeedEntry(
            guid=notes.clip(item.id, "guid", limit),
            url=notes.clip(item.url or item.external_url, "url", limit),
            title=notes.clip(" ".join(item.title.split()) if item.title else None, "title",
                             limit),
            summary=notes.clip(body_text(item.summary, "text/plain"), "summary", limit),
            content=notes.clip(content, "content", limit),
            authors=[name[:limit] for name in item.authors] or list(feed.authors),
            published=item.date_published,
            updated=item.date_modified,
            published_raw=item.date_published_raw,
            updated_raw=item.date_modified_raw,
            language=item.language or feed.language,
        ))
    if not entries:
        notes.add("the feed has no entries")
    return ParsedFeed(
        format=feed.format,
        title=notes.clip(feed.title, "feed title", limit),
        link=feed.home_page_url,
        language=feed.language,
        ttl_minutes=None,
        entries=entries,
        entries_total=feed.item_count,
    )
