"""Feed documents to entries and articles: pure parsing, bytes in, records out, no I/O.

RSS 0.90/0.91/0.92/1.0/2.0 and Atom 0.3/1.0 go through feedparser, JSON Feed 1.0/1.1
through ``jsonfeed``. Before feedparser sees anything, this module decides the encoding
itself (feedparser reads declared-Latin-1 UTF-8 and undeclared cp1251 as mojibake),
transcodes to UTF-8, cuts the document to ``max_entries`` entries and over-long text
fields (so time and memory stay bounded), and passes it through ``xml_guard``.
feedparser is only ever handed a byte stream: given a str it would fetch URLs and
open local files.
"""

from __future__ import annotations

import bisect
import codecs
import functools
import html
import io
import re
import xml.sax
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.entities import html5 as _HTML5_ENTITIES
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser  # type: ignore[import-untyped]
from lxml import etree  # type: ignore[import-untyped]
from lxml import html as lxml_html

from worker.errors import NotTextError, TooLargeError
from worker.record import Article, DateCandidate, Origin, article_id, normalise_url
from worker.sources.dates import FUTURE_TOLERANCE, choose_published
from worker.sources.decoding import decode_text
from worker.sources.jsonfeed import JsonFeed, NotAFeedError, parse_json_feed
from worker.sources.xml_guard import (
    EXTERNAL_DTD,
    HostileXmlError,
    check_xml,
    inspect_xml,
    raise_most_severe,
    sniff_encoding,
)

__all__ = [
    "DEFAULT_MAX_BYTES",
    "FUTURE_TOLERANCE",
    "FeedEntry",
    "HostileXmlError",
    "NotAFeedError",
    "ParsedFeed",
    "entry_to_article",
    "html_to_text",
    "parse_feed",
    "plain_paragraphs",
]

DEFAULT_MAX_BYTES = 15 * 1024 * 1024
# A feed date further ahead than this is a clock or time-zone error, not a publication date.

# Local names of root elements feedparser reads as feeds (rdf:RDF is RSS 0.90 and 1.0).
_FEED_ROOTS = frozenset({"rss", "rdf", "feed"})
_FORMATS = {"rss091n": "rss091", "rss091u": "rss091"}
# Raw markup per character of text kept: a field is cut before parsing at this multiple.
_RAW_FIELD_FACTOR = 4
_MAX_WARNINGS = 50
# Tags (outside CDATA) a document may hold: parse time grows with them, not with bytes.
_MARKUP_BASE = 20_000
_MARKUP_PER_ENTRY = 60
_UTF8_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>\n'
_RESPONSE_HEADERS = {"content-type": "application/xml; charset=utf-8"}
# The WHATWG encoding standard: these labels mean the superset browsers (and feeds) use.
_SUPERSETS = {"iso8859-1": "cp1252", "ascii": "cp1252", "gb2312": "gb18030",
              "shift_jis": "cp932", "euc_kr": "cp949", "iso8859-9": "cp1254"}
_WESTERN = frozenset({"cp1252", "iso8859-1", "iso8859-15", "latin-1"})
_SY_PERIOD_MINUTES = {"hourly": 60, "daily": 1440, "weekly": 10080, "monthly": 43200,
                      "yearly": 525600}

_NON_SPACE = re.compile(r"\S")
_NON_SPACE_BYTES = re.compile(rb"\S")
_XML_START = re.compile(r"<\?xml\b|<(?:[\w.-]+:)?(?:rss|feed|RDF)\b")
_XML_DECLARATION = re.compile(r"\A\s*<\?xml(?=\s)[^>]*>")
_INVALID_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_CHANNEL_START = re.compile(r"<((?:[A-Za-z_][\w.-]*:)?channel)\b")
_ENTRY_END = re.compile(r"</(?:[A-Za-z_][\w.-]*:)?(?:item|entry)\s*>", re.I)
_VERBATIM = re.compile(r"<!\[CDATA\[|<!--")
_BARE_AMPERSAND = re.compile(r"&(?![A-Za-z][A-Za-z0-9]{0,31};|#[0-9]{1,8};|#[xX][0-9a-fA-F]{1,8};)")
_NAMED_REFERENCE = re.compile(r"&(?!(?:amp|lt|gt|quot|apos);)([A-Za-z][A-Za-z0-9]{0,31});")
_TAG_NAME = re.compile(r"[^\s/>!?<]+")
_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
    rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}"
    rb"|\xf4[\x80-\x8f][\x80-\xbf]{2}")
_HIGH_BYTES = bytes(range(0x80, 0x100))
_CHARSET = re.compile(r"""charset\s*=\s*["']?([^"';\s]+)""", re.I)

_BLANK_LINES = re.compile(r"\n\s*\n")
_HTML_TAG = re.compile(r"<[A-Za-z/!]")
_ANY_TAG = re.compile(r"<[^>]*>")
_BREAK = "\ue000"  # paragraph marker while walking HTML (private use, removed from input)
_BLOCKS = ("address", "article", "aside", "blockquote", "br", "caption", "dd", "details", "div",
           "dl", "dt", "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6",
           "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table",
           "tr", "ul")
_SKIPPED = ("script", "style", "noscript", "template", "iframe", "object", "embed", "svg",
            "math", "head", "title", "select", "textarea", "button")


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


class _Notes:
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


def parse_feed(
    body: bytes,
    *,
    content_type: str | None = None,
    max_entries: int = 2000,
    max_field_chars: int = 200_000,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> ParsedFeed:
    """Entries of an RSS, Atom or JSON feed; raise a QuarantineError naming what is wrong."""
    if not isinstance(body, bytes):
        raise TypeError(f"parse_feed takes the document's bytes, not {type(body).__name__}")
    if len(body) > max_bytes:
        raise TooLargeError(f"feed is {len(body)} bytes, above the {max_bytes}-byte limit")
    if _NON_SPACE_BYTES.search(body) is None:
        raise NotAFeedError("empty document: the body holds no bytes but whitespace")
    notes = _Notes()
    text, encoding = _decode(body, content_type, notes)
    first = _NON_SPACE.search(text)
    if first is None:
        raise NotAFeedError("empty document: the body holds only whitespace")
    if text[first.start()] in "{[":
        feed = _from_json(text, max_entries, max_field_chars, notes)
    else:
        start = _markup_start(text, first.start(), content_type, notes)
        feed = _from_xml(text[start:], max_entries, max_field_chars, notes)
    feed.encoding = encoding
    feed.warnings = notes.done(max_field_chars)
    return feed


# --- encodings -------------------------------------------------------------------------


def _decode(body: bytes, content_type: str | None, notes: _Notes) -> tuple[str, str]:
    """Text of the document: BOM, then valid UTF-8, then the declarations, then detection."""
    sniffed = sniff_encoding(body)
    if sniffed.codec is not None:
        data = body[sniffed.bom_length:]
        try:
            return _clean(data.decode(sniffed.codec), notes), sniffed.codec
        except UnicodeDecodeError as exc:
            notes.add(f"encoding: bytes not valid {sniffed.codec} ({exc.reason} at byte "
                      f"{exc.start}); undecodable bytes replaced")
            return _clean(data.decode(sniffed.codec, errors="replace"), notes), sniffed.codec
    labels = [(f"declared {label}", label) for label in [sniffed.declared] if label]
    labels += [(f"Content-Type charset {label}", label) for label in [_charset(content_type)]
               if label]
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        wrong = [where for where, label in labels if _codec(label) not in {"utf-8", None}]
        if wrong and not text.isascii():
            notes.add(f"encoding: {wrong[0]} but the bytes are UTF-8; read as UTF-8")
        return _clean(text, notes), "utf-8"
    if b"\x00" in body[:8192]:
        raise NotAFeedError("binary data (NUL bytes), not a feed")
    for where, label in labels:
        codec = _codec(label)
        if codec is None:
            notes.add(f"encoding: {where} is unknown; ignored")
            continue
        if codec == "utf-8" or codec.startswith(("utf-16", "utf-32")):
            continue
        try:
            text = body.decode(codec)
        except UnicodeDecodeError:
            notes.add(f"encoding: {where} does not fit the bytes; ignored")
            continue
        if where.startswith("Content-Type"):
            notes.add(f"encoding: read as {codec}, from the {where}")
        return _clean(text, notes), codec
    # Detection looks only at the bytes that are not UTF-8, so UTF-8 parts cannot mislead it.
    valid, invalid, rest = _utf8_census(body)
    try:
        _sample, detected = decode_text(rest)
    except NotTextError as exc:
        raise NotAFeedError(f"{exc}; not a feed") from None
    codec = _codec(detected) or "cp1252"
    declared = labels[0][0] if labels else "nothing declared"
    if valid and _single_byte(codec) and (codec in _WESTERN or valid * 4 >= invalid):
        # UTF-8 with some bytes of a code page pasted in: each part read in its own way.
        notes.add(f"encoding: {declared}; UTF-8 mixed with {codec} bytes "
                  f"({valid} UTF-8 sequences, {invalid} other bytes)")
        text = body.decode("utf-8", errors=_fallback_errors(codec))
        return _clean(text, notes), f"utf-8+{codec}"
    notes.add(f"encoding: {declared}, but the bytes are {codec}; read as {codec}")
    return _clean(body.decode(codec, errors="replace"), notes), codec


def _charset(content_type: str | None) -> str | None:
    match = _CHARSET.search(content_type or "")
    return match.group(1) if match else None


def _codec(label: str | None) -> str | None:
    """Python codec for an encoding label, widened to the superset feeds really use."""
    if not label:
        return None
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    return _SUPERSETS.get(name, name)


@functools.cache
def _single_byte(codec: str) -> bool:
    """Whether every byte is one character in ``codec`` (code pages, not CJK multi-byte)."""
    try:
        return len(bytes(range(256)).decode(codec, errors="replace")) == 256
    except LookupError:
        return False


def _utf8_census(body: bytes) -> tuple[int, int, bytes]:
    """Valid UTF-8 multi-byte sequences, non-ASCII bytes outside them, and the bytes left."""
    rest, valid = _UTF8_SEQUENCE.subn(b"", body)
    return valid, len(rest) - len(rest.translate(None, _HIGH_BYTES)), rest


@functools.cache
def _fallback_errors(codec: str) -> str:
    """Name of a codec error handler that reads bytes invalid in UTF-8 with ``codec``."""
    name = f"newsworker-utf8-else-{codec}"

    def handler(error: UnicodeError) -> tuple[str, int]:
        if not isinstance(error, UnicodeDecodeError):
            raise error
        return error.object[error.start:error.end].decode(codec, errors="replace"), error.end

    codecs.register_error(name, handler)
    return name


def _clean(text: str, notes: _Notes) -> str:
    """Drop a leading BOM and characters XML 1.0 forbids; refuse text that is mostly those."""
    if text.startswith("\ufeff"):
        text = text[1:]
    text, removed = _INVALID_XML_CHARS.subn("", text)
    if removed:
        if removed > max(16, len(text) // 100):
            raise NotAFeedError(f"binary data ({removed} control characters), not a feed")
        notes.add(f"removed {removed} control characters that XML does not allow")
    return text


def _markup_start(text: str, start: int, content_type: str | None, notes: _Notes) -> int:
    """Where the markup begins; junk before an XML declaration or root (PHP notices) is skipped."""
    if text[start] == "<":
        return start
    found = _XML_START.search(text, start, start + 1024)
    if found is None:
        served = f" (served as {content_type})" if content_type else ""
        raise NotAFeedError(f"plain text, not a feed{served}: starts with "
                            f"{text[start:start + 40]!r}")
    notes.add(f"ignored {found.start()} characters of junk before the XML")
    return found.start()


# --- XML feeds -------------------------------------------------------------------------


def _from_xml(text: str, max_entries: int, max_field_chars: int, notes: _Notes) -> ParsedFeed:
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
    text = _fix_references(text)
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
    text: str, root: str, max_entries: int, notes: _Notes
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


def _limit_raw_fields(text: str, cap: int, notes: _Notes) -> str:
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


def _fix_references(text: str) -> str:
    """HTML named entities to numeric references, bare '&' escaped: keeps expat on the feed."""
    pieces: list[str] = []
    pos = 0
    while (special := _VERBATIM.search(text, pos)) is not None:
        pieces.append(_fix_segment(text[pos:special.start()]))
        closer = "]]>" if special.group(0) == "<![CDATA[" else "-->"
        close = text.find(closer, special.end())
        end = len(text) if close < 0 else close + len(closer)
        pieces.append(text[special.start():end])
        pos = end
    pieces.append(_fix_segment(text[pos:]))
    return "".join(pieces)


def _fix_segment(segment: str) -> str:
    if "&" not in segment:
        return segment
    segment = _BARE_AMPERSAND.sub("&amp;", segment)  # a template, not a callback: C speed
    return _NAMED_REFERENCE.sub(_replace_reference, segment)


def _replace_reference(match: re.Match[str]) -> str:
    name = match.group(1)
    chars = _HTML5_ENTITIES.get(f"{name};")
    if chars is None:
        return f"&amp;{name};"  # unknown entity: shown literally, as a browser would
    return "".join(f"&#{ord(char)};" for char in chars)


def _xml_entry(raw: Any, feed_language: str | None, inherited: list[str], limit: int,
               notes: _Notes) -> FeedEntry:
    """One feedparser entry as a FeedEntry: HTML to text, dates to UTC, fields clipped."""
    content_value, content_type, content_language = _first_content(_get(raw, "content"))
    content = _body_text(content_value, content_type)
    summary_detail = _get(raw, "summary_detail") or {}
    summary_value = _get(summary_detail, "value") or _get(raw, "summary")
    # feedparser copies Atom content into an absent summary: that is no summary.
    summary = None if summary_value and summary_value == content_value else _body_text(
        summary_value, _get(summary_detail, "type") or "text/html")
    language = (content_language or _get(summary_detail, "language")
                or _detail_language(_get(raw, "title_detail")) or feed_language)
    return FeedEntry(
        guid=notes.clip(_text_or_none(_get(raw, "id")), "guid", limit),
        url=notes.clip(_text_or_none(_get(raw, "link")), "url", limit),
        title=notes.clip(_detail_text(_get(raw, "title_detail"), _get(raw, "title"), line=True),
                         "title", limit),
        summary=notes.clip(summary, "summary", limit),
        content=notes.clip(content, "content", limit),
        authors=[name[:limit] for name in _author_names(raw)] or list(inherited),
        published=_struct_to_datetime(_get(raw, "published_parsed")),
        updated=_struct_to_datetime(_get(raw, "updated_parsed")),
        published_raw=_text_or_none(_get(raw, "published")),
        updated_raw=_text_or_none(_get(raw, "updated")),
        language=_text_or_none(language),
    )


def _first_content(contents: Any) -> tuple[str | None, str, str | None]:
    for item in contents or []:
        value = _get(item, "value")
        if value and value.strip():
            return value, _get(item, "type") or "text/html", _get(item, "language")
    return None, "text/plain", None


def _body_text(value: str | None, kind: str) -> str | None:
    if not value:
        return None
    text = html_to_text(value) if "html" in kind else plain_paragraphs(value)
    return text or None


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


# --- JSON Feed -------------------------------------------------------------------------


def _from_json(text: str, max_entries: int, max_field_chars: int, notes: _Notes) -> ParsedFeed:
    feed: JsonFeed = parse_json_feed(text, max_items=max_entries)
    for warning in feed.warnings:
        notes.add(warning)
    if feed.item_count > max_entries:
        notes.add(f"truncated to {max_entries} entries of {feed.item_count}")
    entries: list[FeedEntry] = []
    limit = max_field_chars
    for item in feed.items:
        content = _body_text(item.content_html, "text/html") or _body_text(
            item.content_text, "text/plain")
        entries.append(FeedEntry(
            guid=notes.clip(item.id, "guid", limit),
            url=notes.clip(item.url or item.external_url, "url", limit),
            title=notes.clip(" ".join(item.title.split()) if item.title else None, "title",
                             limit),
            summary=notes.clip(_body_text(item.summary, "text/plain"), "summary", limit),
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


# --- HTML to text ----------------------------------------------------------------------


def html_to_text(markup: str) -> str:
    """Plain text of an HTML fragment: one paragraph per block element, blank-line separated."""
    if not _HTML_TAG.search(markup):
        return plain_paragraphs(html.unescape(markup))
    markup = _INVALID_XML_CHARS.sub("", markup.replace(_BREAK, ""))
    try:
        root = lxml_html.fragment_fromstring(markup, create_parent="div")
    except (etree.ParserError, ValueError):
        return plain_paragraphs(html.unescape(_ANY_TAG.sub(" ", markup)))
    etree.strip_elements(root, etree.Comment, etree.ProcessingInstruction, *_SKIPPED,
                         with_tail=False)
    for element in root.iter(*_BLOCKS):
        element.text = _BREAK + (element.text or "")
        element.tail = _BREAK + (element.tail or "")
    for cell in root.iter("td", "th"):
        cell.tail = " " + (cell.tail or "")
    text: str = "".join(root.itertext())
    paragraphs = (" ".join(part.split()) for part in text.split(_BREAK))
    return "\n\n".join(part for part in paragraphs if part)


def plain_paragraphs(text: str) -> str:
    """Plain text with paragraphs at blank lines and each paragraph's whitespace folded."""
    paragraphs = (" ".join(block.split()) for block in _BLANK_LINES.split(text))
    return "\n\n".join(p for p in paragraphs if p)


# --- entries to articles ---------------------------------------------------------------


def entry_to_article(
    entry: FeedEntry, *, feed_url: str, job_id: str | None, fetched_at: datetime
) -> Article:
    """The Article of a feed entry; its id is the URL's, so every source agrees on it."""
    if fetched_at.tzinfo is None:
        raise ValueError("fetched_at must be timezone-aware")
    url = _http_url(entry.url, base=feed_url) or _http_url(entry.guid)
    if entry.content:
        body, body_source = entry.content, "feed_content"
    else:
        body, body_source = entry.summary or "", "feed_summary"
    title = entry.title or ""
    candidates = [DateCandidate(source=source, value=value) for source, value in (
        ("feed_published", entry.published), ("feed_updated", entry.updated)) if value]
    published_at, flags = choose_published(candidates, fetched_at)
    if url:
        identity = article_id(url=url, title=title, body=body)
    elif entry.guid:
        # GUIDs are unique within one feed only, so the feed is part of what is hashed.
        identity = article_id(url=None, title=f"feed {normalise_url(feed_url)}", body=entry.guid)
    else:
        identity = article_id(url=None, title=title, body=body)
    return Article(
        id=identity,
        origin=Origin(kind="feed", location=feed_url, job_id=job_id),
        url=url,
        title=title,
        body=body,
        summary=entry.summary,
        guid=entry.guid,
        authors=list(entry.authors),
        body_source=body_source,
        published_at=published_at,
        date_candidates=candidates,
        date_flags=flags,
        fetched_at=fetched_at,
    )


def _http_url(value: str | None, *, base: str | None = None) -> str | None:
    """An absolute http(s) URL (relative ones resolved against ``base``), else None."""
    if not value or not value.strip():
        return None
    try:
        url = urljoin(base, value.strip()) if base else value.strip()
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme in {"http", "https"} and parts.hostname else None
