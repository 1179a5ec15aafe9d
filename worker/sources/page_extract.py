"""HTML page to main text and metadata with trafilatura: pure, bytes in and record out, no fetching.

Also used for the full text of feed entries, so it knows nothing about seed files.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml import etree  # type: ignore[import-untyped]
from trafilatura import bare_extraction
from trafilatura.settings import Document
from trafilatura.utils import load_html

from worker.errors import EmptyInputError, QuarantineError
from worker.record import normalise_text
from worker.sources.date_text import MAX_CHARS, reread

# Meta keys (name, property or itemprop, lower-cased) that claim a publication time, best first.
_DATE_META_KEYS: tuple[str, ...] = (
    "article:published_time", "og:article:published_time", "datepublished",
    "parsely-pub-date", "sailthru.date", "pubdate", "publishdate", "publish-date",
    "publication_date", "citation_publication_date", "dc.date.issued", "dcterms.issued",
    "dc.date", "dcterms.created", "date",
)
_LANG_CODE = re.compile(r"^[a-z]{2,3}$")
_MAX_JSON_LD_CHARS = 1_000_000
# Text before this year is not a news publication date, it is a parsing accident.
_MIN_YEAR = 1900


@dataclass(frozen=True)
class ExtractedPage:
    """What a news page says about itself, once navigation and boilerplate are gone."""

    title: str
    text: str
    canonical_url: str | None = None
    published: datetime | None = None
    published_raw: str | None = None
    authors: list[str] = field(default_factory=list)
    sitename: str | None = None
    language: str | None = None
    description: str | None = None


def extract_page(html: bytes | str, *, url: str | None = None) -> ExtractedPage:
    """Main text and metadata of one page; raise EmptyInputError when it has no article text."""
    try:
        tree = load_html(html) if html else None
        if tree is None:
            raise EmptyInputError("no article text found in the HTML page")
        meta = _meta_index(tree)
        doc = bare_extraction(
            tree, url=url, with_metadata=True, include_comments=False, include_tables=True,
            include_images=False, include_links=False, output_format="python",
            date_extraction_params={"extensive_search": False, "original_date": True},
        )
    except (ValueError, TypeError, RecursionError, etree.LxmlError) as exc:
        # Markup lxml or trafilatura cannot take is bad input, not a worker failure.
        raise QuarantineError(f"HTML page could not be parsed: {exc}",
                              reason_code="unparseable_html") from exc
    if not isinstance(doc, Document):
        raise EmptyInputError("no article text found in the HTML page")
    title = " ".join(str(doc.title or meta.get("og:title") or "").split())
    paragraphs = _body_paragraphs(doc.body) if doc.body is not None else []
    while paragraphs and title and normalise_text(paragraphs[0]) == normalise_text(title):
        paragraphs = paragraphs[1:]
    if not paragraphs:
        raise EmptyInputError("no article text found in the HTML page")
    published_raw, published = _published(tree, meta, doc)
    return ExtractedPage(
        title=title,
        text="\n\n".join(paragraphs),
        canonical_url=_canonical_url(tree, meta, url),
        published=published,
        published_raw=published_raw,
        authors=split_authors(doc.author or meta.get("author") or ""),
        sitename=_clean(doc.sitename) or _clean(meta.get("og:site_name")),
        language=_language(tree, meta, doc),
        description=_clean(doc.description),
    )


def parse_timestamp(raw: str) -> datetime | None:
    """ISO 8601, RFC 2822 or month-name text (``date_text``) to an aware UTC datetime; naive
    times are read as UTC."""
    text = raw.strip()
    if not text or len(text) > MAX_CHARS:
        return None
    value: datetime | None = None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        try:
            value = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            value = None
    # email.utils takes a zone it does not know (WIB, CET) for UTC; month names it cannot read.
    return reread(as_utc(value) if value is not None else None, text)


def as_utc(value: datetime | date) -> datetime | None:
    """A date or datetime as aware UTC (dates at midnight, naive as UTC); None if implausible."""
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    if value.tzinfo is None or value.utcoffset() is None:
        value = value.replace(tzinfo=UTC)
    if value.year < _MIN_YEAR:
        return None
    try:
        return value.astimezone(UTC)
    except OverflowError:
        return None


def split_authors(value: str) -> list[str]:
    """Author names from one string: ';' or newlines separate names, commas do not."""
    names: list[str] = []
    for part in re.split(r"[;\n]", value):
        name = " ".join(part.split())
        if name and name not in names:
            names.append(name)
    return names


def _body_paragraphs(body: Any) -> list[str]:
    """Trafilatura's output tree as paragraphs; list items and table rows stay one per line."""
    paragraphs: list[str] = []
    for child in body:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag in {"list", "table"}:
            rows = child.iter("item") if tag == "list" else child.iter("row")
            lines = [_inline_text(row) for row in rows]
            block = "\n".join(line for line in lines if line)
        else:
            block = _inline_text(child)
        if block:
            paragraphs.append(block)
    return paragraphs


def _inline_text(element: Any) -> str:
    """Text of one element, <lb/> as a line break, other whitespace collapsed."""
    parts: list[str] = []
    for node in element.iter():
        if node is not element and node.tag == "lb":
            parts.append("\n")
        elif node.tag == "cell" and node is not element and parts:
            parts.append(" ")
        if node.text and node.tag != "lb":
            parts.append(node.text)
        if node is not element and node.tail:
            parts.append(node.tail)
    lines = (" ".join(line.split()) for line in "".join(parts).split("\n"))
    return "\n".join(line for line in lines if line)


def _meta_index(tree: Any) -> dict[str, str]:
    """First content of each <meta> key (name, property, itemprop, http-equiv), lower-cased."""
    index: dict[str, str] = {}
    for meta in tree.iter("meta"):
        content = meta.get("content")
        if not content or not content.strip():
            continue
        for attr in ("property", "name", "itemprop", "http-equiv"):
            key = (meta.get(attr) or "").strip().lower()
            if key and key not in index:
                index[key] = content.strip()
    return index


def _published(
    tree: Any, meta: dict[str, str], doc: Document
) -> tuple[str | None, datetime | None]:
    """The page's publication claim, raw and parsed: meta tags, JSON-LD, <time>, then htmldate."""
    for raw in _date_claims(tree, meta):
        parsed = parse_timestamp(raw)
        if parsed is not None:
            return raw, parsed
    if doc.date:
        return str(doc.date), parse_timestamp(str(doc.date))
    return None, None


def _date_claims(tree: Any, meta: dict[str, str]) -> Iterator[str]:
    for key in _DATE_META_KEYS:
        if key in meta:
            yield meta[key]
    for el in tree.xpath("//*[@itemprop='datePublished']"):
        value = el.get("datetime") or el.get("content")
        if value:
            yield value
    yield from _json_ld_dates(tree)
    for el in tree.xpath("//time[@pubdate and @datetime] | //article//time[@datetime]"):
        yield str(el.get("datetime"))


def _json_ld_dates(tree: Any) -> Iterator[str]:
    for script in tree.xpath("//script[@type='application/ld+json']"):
        text = script.text or ""
        if len(text) > _MAX_JSON_LD_CHARS:
            continue
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            continue
        yield from _find_key(data, "datePublished", depth=0)


def _find_key(data: Any, key: str, depth: int) -> Iterator[str]:
    if depth > 8:
        return
    if isinstance(data, dict):
        value = data.get(key)
        if isinstance(value, str):
            yield value
        for child in data.values():
            yield from _find_key(child, key, depth + 1)
    elif isinstance(data, list):
        for child in data:
            yield from _find_key(child, key, depth + 1)


def _canonical_url(tree: Any, meta: dict[str, str], url: str | None) -> str | None:
    """<link rel=canonical>, else og:url, made absolute against <base href> or the page URL."""
    base = url or ""
    for el in tree.xpath("//base[@href]"):
        base = urljoin(base, el.get("href").strip())
        break
    candidates: list[str | None] = [
        el.get("href") for el in tree.xpath("//link[@href]")
        if "canonical" in (el.get("rel") or "").lower().split()
    ]
    candidates.append(meta.get("og:url"))
    for href in candidates:
        if not href or not href.strip():
            continue
        absolute = urljoin(base, href.strip()) if base else href.strip()
        parts = urlsplit(absolute)
        if parts.scheme in {"http", "https"} and parts.hostname:
            return absolute
    return None


def _language(tree: Any, meta: dict[str, str], doc: Document) -> str | None:
    """Primary language subtag the page declares: <html lang>, content-language, og:locale."""
    root = tree.getroottree().getroot()
    for raw in (root.get("lang"), root.get("xml:lang"), meta.get("content-language"),
                meta.get("og:locale"), doc.language):
        code = language_code(raw)
        if code:
            return code
    return None


def language_code(raw: object) -> str | None:
    """Primary subtag of a language tag ('fr-FR' -> 'fr'); None for anything else."""
    if not isinstance(raw, str):
        return None
    code = re.split(r"[-_,; ]", raw.strip().lower(), maxsplit=1)[0]
    return code if _LANG_CODE.match(code) else None


def _clean(value: object) -> str | None:
    text = " ".join(str(value).split()) if value else ""
    return text or None

