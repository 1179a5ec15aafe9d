"""Feed documents (RSS, Atom, JSON Feed) to entries and Articles: pure parsing, no I/O."""

from worker.sources.dates import FUTURE_TOLERANCE
from worker.sources.feed_documents.articles import entry_to_article
from worker.sources.feed_documents.html_text import html_to_text, plain_paragraphs
from worker.sources.feed_documents.model import FeedEntry, NotAFeedError, ParsedFeed
from worker.sources.feed_documents.parse import DEFAULT_MAX_BYTES, parse_feed
from worker.sources.xml_guard import HostileXmlError

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
