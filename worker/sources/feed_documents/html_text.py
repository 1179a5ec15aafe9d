"""HTML fragments (feed bodies, JSON text fields) to plain paragraphs."""

from __future__ import annotations

import html
import re

from lxml import etree  # type: ignore[import-untyped]
from lxml import html as lxml_html

from worker.sources.feed_documents.document_text import INVALID_XML_CHARS

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


def html_to_text(markup: str) -> str:
    """Plain text of an HTML fragment: one paragraph per block element, blank-line separated."""
    if not _HTML_TAG.search(markup):
        return plain_paragraphs(html.unescape(markup))
    markup = INVALID_XML_CHARS.sub("", markup.replace(_BREAK, ""))
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


def body_text(value: str | None, kind: str) -> str | None:
    """A body field as plain text (HTML when ``kind`` says so), None when nothing is left."""
    if not value:
        return None
    text = html_to_text(value) if "html" in kind else plain_paragraphs(value)
    return text or None
