"""The entry point: RSS 0.90-2.0, Atom 0.3/1.0 or JSON Feed 1.0/1.1 bytes to a ParsedFeed.

Pure parsing, bytes in, records out, no I/O; the format is told by the first character.
"""

from __future__ import annotations

import re

from worker.errors import TooLargeError
from worker.sources.feed_documents.document_text import decode_document, markup_start
from worker.sources.feed_documents.json_feeds import from_json
from worker.sources.feed_documents.model import NotAFeedError, Notes, ParsedFeed
from worker.sources.feed_documents.xml_feeds import from_xml

DEFAULT_MAX_BYTES = 15 * 1024 * 1024

_NON_SPACE = re.compile(r"\S")
_NON_SPACE_BYTES = re.compile(rb"\S")


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
    notes = Notes()
    text, encoding = decode_document(body, content_type, notes)
    first = _NON_SPACE.search(text)
    if first is None:
        raise NotAFeedError("empty document: the body holds only whitespace")
    if text[first.start()] in "{[":
        feed = from_json(text, max_entries, max_field_chars, notes)
    else:
        start = markup_start(text, first.start(), content_type, notes)
        feed = from_xml(text[start:], max_entries, max_field_chars, notes)
    feed.encoding = encoding
    feed.warnings = notes.done(max_field_chars)
    return feed
