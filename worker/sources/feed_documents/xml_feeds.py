"""RSS and Atom through feedparser, after the guard, with time and memory bounded first.

The document is cut to ``max_entries`` entries (and a markup budget) and over-long text
fields are cut before parsing, since feedparser's cost grows with the markup it is given.
feedparser is only ever handed a byte stream: given a str it would fetch URLs and open
local files.
"""

from __future__ import annotations

import bisect
import functools
import io
import re
import xml.sax
from datetime import UTC, datetime
from typing import Any

import feedparser  # type: ignore[import-untyped]

from worker.errors import TooLargeError
from worker.sources.date_text import reread
from worker.sources.feed_documents.document_text import fix_references
from worker.sources.feed_documents.html_text import body_text, html_to_text
from worker.sources.feed_documents.model import FeedEntry, NotAFeedError, Notes, ParsedFeed
from worker.sources.xml_guard import EXTERNAL_DTD, check_xml, inspect_xml, raise_most_severe

# Local names of root elements feedparser reads as feeds (rdf:RDF is RSS 0.90 and 1.0).
_FEED_ROOTS = frozenset({"rss", "rdf", "feed"})
_FORMATS = {"rss091n": "rss091", "rss091u": "rss091"}
# Raw markup per character of text kept: a field is cut before parsing at this multiple.
_RAW_FIELD_FACTOR = 4
# Tags (outside CDATA) a document may hold: parse time grows with them, not with bytes.
_MARKUP_BASE = 20_000
_MARKUP_PER_ENTRY = 60
_UTF8_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>\n'
_RESPONSE_HEADERS = {"content-type": "application/xml; charset=utf-8"}
_SY_PERIOD_MINUTES = {"hourly": 60, "daily": 1440, "weekly": 10080, "monthly": 43200,
                      "yearly": 525600}

_XML_DECLARATION = re.compile(r"\A\s*<\?xml(?=\s)[^>]*>")
_CHANNEL_START = re.compile(r"<((?:[A-Za-z_][\w.-]*:)?channel)\b")
_ENTRY_END = re.compile(r"</(?:[A-Za-z_][\w.-]*:)?(?:item|entry)\s*>", re.I)
_TAG_NAME = re.compile(r"[^\s/>!?<]+")


def from_xml(text: str, max_entries: int, max_field_chars: int, notes: Notes) -> ParsedFeed:
    """RSS or Atom through feedparser, after the guard and the bounding cuts."""
    inspection = inspect_xml(text)
    root = inspection.root
    local = (root or "").rsplit(":", 1)[-1].lower()
    if local == "html" or (inspection.doctype and inspection.doctype.name.lower() == "html"):
        raise NotAFeedError("an HTML page, not a feed (its <link rel=alternate> may name one)")
    if root is None or local not in _FEED_ROOTS:
        # An SVG's reference to its DTD is harmless; entity tricks are reported as such.
        raise_most_severe([p for p in inspection.problems if p[0] != EXTERNAL_DTD])
        if root is None:
            raise NotAFeedError("malformed XML: no root element, not a feed")
        raise NotAFeedError(f"XML document with root element <{root}> is not a feed")
    raise_most_severe(inspection.problems)  # refuse early, before any work on the text
    text, complete, total = _bound_document(text, root, max_entries, notes)
    text = _limit_raw_fields(text, max_field_chars * _RAW_FIELD_FACTOR, notes)
    text = fix_references(text)
    data = (_UTF8_DECLARATION + _XML_DECLARATION.sub("", text, count=1)).encode("utf-8")
    del text
    check_xml(data, max_bytes=len(data))  # exactly the bytes feedparser is about to see
    result = _feedparser_parse(data)
    del data
    version: str = _get(result, "version") or ""
    error = _get(result, "bozo_exception") if _get(result, "bozo") else None
    problem = _describe(error) if error is not None else None
    if not version:
        if problem:
            raise NotAFeedError(f"malformed XML, no feed could be read ({problem})")
        raise NotAFeedError(f"XML document with root element <{root}> is not a feed")
    found: list[Any] = list(_get(result, "entries") or [])
    total = max(total, len(found))  # a half entry at a truncation has no end tag
    raw_entries = found[:max_entries]
    if problem:
        # The lenient parser also returns the entry a truncation cut in half: drop it.
        dropped = max(0, len(raw_entries) - complete)
        raw_entries = raw_entries[:complete]
        if not raw_entries:
            raise NotAFeedError(f"malformed XML ({problem}): no complete entry could be read")
        notes.add(f"malformed XML ({problem}): kept {len(raw_entries)} entries parsed before "
                  f"the error" + (f", dropped {dropped} incomplete" if dropped else ""))
    feed_format = _FORMATS.get(version, version)
    meta: Any = _get(result, "feed") or {}
    language = _text_or_none(_get(meta, "language")) or _detail_language(_get(meta, "title_detail"))
    inherited = _author_names(meta) if feed_format.startswith("atom") else []
    entries = [
        _xml_entry(raw, language, inherited, max_field_chars, notes) for raw in raw_entries
    ]
    if not entries:
        notes.add("the feed has no entries")
    return ParsedFeed(
        format=feed_format,
        title=notes.clip(_detail_text(_get(meta, "title_detail"), _get(meta, "title"), line=True),
                         "feed title", max_field_chars),
        link=_text_or_none(_get(meta, "link")),
        language=language,
        ttl_minutes=_ttl_minutes(meta),
        entries=entries,
        entries_total=total,
    )


def _feedparser_parse(data: bytes) -> Any:
    """feedparser on a byte stream only: a str would be fetched as a URL or opened as a path."""
    if type(data) is not bytes:
        raise TypeError(f"feedparser is only given bytes, never {type(data).__name__}")
    return feedparser.parse(io.BytesIO(data), response_headers=dict(_RESPONSE_HEADERS),
                            sanitize_html=False, resolve_relative_uris=False)


def _describe(error: object) -> str:
    if isinstance(error, xml.sax.SAXParseException):
        return f"{error.getMessage()} at line {error.getLineNumber()}, " \
               f"column {error.getColumnNumber()}"
    return f"{type(error).__name__}: {error}"


def _bound_document(
    text: str, root: str, max_entries: int, notes: Notes
) -> tuple[str, int, int]:
    """Cut at ``max_entries`` or the markup budget, whichever comes first: parse time is bounded."""
    ends = [match.end() for match in _ENTRY_END.finditer(text)]
    total = keep = len(ends)
    if total > max_entries:
        notes.add(f"truncated to {max_entries} entries of {total}")
        keep = max_entries
    budget = _MARKUP_BASE + _MARKUP_PER_ENTRY * max_entries
    budget_at = _nth_tag_outside_cdata(text, budget)
    if budget_at is not None:
        within = bisect.bisect_right(ends, budget_at, hi=keep)
        if within == 0:
            raise TooLargeError(f"more than {budget} tags before the first complete entry")
        if within < keep:
            notes.add(f"markup budget of {budget} tags reached: kept {within} entries")
            keep = within
    if keep == total and budget_at is None:
        return text, total, total
    return text[:ends[keep - 1]] + _closing_tags(text, root), keep, total


def _nth_tag_outside_cdata(text: str, n: int) -> int | None:
    """Position of the ``n``-th '<' outside CDATA sections, or None if there are fewer."""
    seen = pos = 0
    while True:
        cdata = text.find("<![CDATA[", pos)
        stop = len(text) if cdata < 0 else cdata + 1
        count = text.count("<", pos, stop)
        if seen + count >= n:
            at = pos - 1
            for _ in range(n - seen):
                at = text.find("<", at + 1, stop)
            return at
        seen += count
        if cdata < 0:
            return None
        close = text.find("]]>", cdata + 9)
        if close < 0:
            return None
        pos = close + 3


def _closing_tags(text: str, root: str) -> str:
    """End tags of the elements around the entries: channel and root for RSS, else root."""
    if root.rsplit(":", 1)[-1].lower() == "rss":
        channel = _CHANNEL_START.search(text)
        if channel:
            return f"</{channel.group(1)}></{root}>"
    return f"</{root}>"


@functools.cache
def _long_text(cap: int) -> re.Pattern[str]:
    # A run of non-'<' right after '<' is a tag plus the text behind it; runs never overlap,
    # so the search stays linear. CDATA sections are matched whole and measured separately.
    return re.compile(rf"<!\[CDATA\[|(?<=<)[^<]{{{cap},}}")


def _limit_raw_fields(text: str, cap: int, notes: Notes) -> str:
    """Cut any text node or CDATA section longer than ``cap`` characters, before parsing."""
    pattern = _long_text(cap)
    pieces: list[str] = []
    last = pos = 0
    while (match := pattern.search(text, pos)) is not None:
        if match.group(0) == "<![CDATA[":
            close = text.find("]]>", match.end())
            if close < 0:
                break
            if close - match.end() > cap:
                name = _TAG_NAME.match(text, text.rfind("<", 0, match.start()) + 1)
                notes.add(f"field <{name.group(0) if name else '?'}> cut before parsing: "
                          f"{close - match.end()} characters, {cap} kept")
                pieces.append(text[last:match.end() + cap])
                last = close
            pos = close + 3
            continue
        pos = match.end()
        gt = text.find(">", match.start(), match.end())
        if gt < 0 or match.end() - (gt + 1) <= cap:
            continue
        cut = gt + 1 + cap
        amp = text.rfind("&", cut - 40, cut)
        if amp >= 0 and text.find(";", amp, cut) < 0:
            cut = amp  # never split a character reference
        name = _TAG_NAME.match(text, match.start())
        notes.add(f"field <{name.group(0) if name else '?'}> cut before parsing: "
                  f"{match.end() - gt - 1} characters, {cap} kept")
        pieces.append(text[last:cut])
        last = match.end()
    if not pieces:
        return text
    pieces.append(text[last:])
    return "".join(pieces)


def _xml_entry(raw: Any, feed_language: str | None, inherited: list[str], limit: int,
               notes: Notes) -> FeedEntry:
    """One feedparser entry as a FeedEntry: HTML to text, dates to UTC, fields clipped."""
    content_value, content_type, content_language = _first_content(_get(raw, "content"))
    content = body_text(content_value, content_type)
    summary_detail = _get(raw, "summary_detail") or {}
    summary_value = _get(summary_detail, "value") or _get(raw, "summary")
    # feedparser copies Atom content into an absent summary: that is no summary.
    summary = None if summary_value and summary_value == content_value else body_text(
        summary_value, _get(summary_detail, "type") or "text/html")
    language = (content_language or _get(summary_detail, "language")
                or _detail_language(_get(raw, "title_detail")) or feed_language)
    # feedparser reads English month names only and a zone it does not know as UTC.
    published_raw = _text_or_none(_get(raw, "published"))
    updated_raw = _text_or_none(_get(raw, "updated"))
    return FeedEntry(
        guid=notes.clip(_text_or_none(_get(raw, "id")), "guid", limit),
        url=notes.clip(_text_or_none(_get(raw, "link")), "url", limit),
        title=notes.clip(_detail_text(_get(raw, "title_detail"), _get(raw, "title"), line=True),
                         "title", limit),
        summary=notes.clip(summary, "summary", limit),
        content=notes.clip(content, "content", limit),
        authors=[name[:limit] for name in _author_names(raw)] or list(inherited),
        published=reread(_struct_to_datetime(_get(raw, "published_parsed")), published_raw),
        updated=reread(_struct_to_datetime(_get(raw, "updated_parsed")), updated_raw),
        published_raw=published_raw,
        updated_raw=updated_raw,
        language=_text_or_none(language),
    )


def _first_content(contents: Any) -> tuple[str | None, str, str | None]:
    for item in contents or []:
        value = _get(item, "value")
        if value and value.strip():
            return value, _get(item, "type") or "text/html", _get(item, "language")
    return None, "text/plain", None


def _detail_text(detail: Any, fallback: Any, *, line: bool = False) -> str | None:
    value = _get(detail, "value") if detail else fallback
    if not isinstance(value, str) or not value.strip():
        return None
    kind = (_get(detail, "type") if detail else None) or "text/plain"
    text = html_to_text(value) if "html" in kind else value
    return " ".join(text.split()) if line else text


def _detail_language(detail: Any) -> str | None:
    return _text_or_none(_get(detail, "language")) if detail else None


def _get(obj: Any, key: str) -> Any:
    """A key as stored: feedparser's aliases answer ``updated`` with ``published``."""
    return dict.get(obj, key) if isinstance(obj, dict) else None


def _text_or_none(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _author_names(raw: Any) -> list[str]:
    names: list[str] = []
    for author in _get(raw, "authors") or []:
        name = _text_or_none(_get(author, "name")) or _text_or_none(_get(author, "email"))
        if name and name not in names:
            names.append(name)
    if not names and (single := _text_or_none(_get(raw, "author"))):
        names.append(single)
    return names


def _struct_to_datetime(value: Any) -> datetime | None:
    """feedparser's UTC ``time.struct_time`` as an aware datetime; None if absent or absurd."""
    if value is None:
        return None
    try:
        year, month, day, hour, minute, second = (int(part) for part in value[:6])
        return datetime(year, month, day, hour, minute, min(second, 59), tzinfo=UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def _ttl_minutes(meta: Any) -> int | None:
    """RSS <ttl>, else sy:updatePeriod / sy:updateFrequency, as minutes between polls."""
    ttl = _positive_int(_get(meta, "ttl"))
    if ttl:
        return ttl
    period = _SY_PERIOD_MINUTES.get(str(_get(meta, "sy_updateperiod") or "").strip().lower())
    if period is None:
        return None
    return max(1, period // (_positive_int(_get(meta, "sy_updatefrequency")) or 1))


def _positive_int(value: Any) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdecimal() and 0 < int(text) < 10**7 else None
