"""Seed files to article records: pure parsing, no I/O beyond the bytes handed in."""

from __future__ import annotations

import re
from pathlib import PurePath

from worker.errors import EmptyInputError, TooLargeError, UnsupportedFormatError
from worker.record import Article, Origin, article_id, normalise_text
from worker.sources.decoding import decode_text
from worker.sources.promo import strip_trailing_promo

TEXT_SUFFIXES = frozenset({".txt", ".text", ""})
_BLANK_LINES = re.compile(r"\n\s*\n")


def split_paragraphs(text: str) -> list[str]:
    """Paragraphs separated by blank lines, inner line breaks folded into spaces."""
    return [
        " ".join(line.strip() for line in block.splitlines() if line.strip())
        for block in _BLANK_LINES.split(text)
        if block.strip()
    ]


def parse_text_seed(text: str, origin: Origin) -> Article:
    """The sample's layout: line 1 the title, then paragraphs; a repeated title is not body."""
    lines = text.strip().split("\n", 1)
    title = " ".join(lines[0].split())
    paragraphs = split_paragraphs(lines[1]) if len(lines) > 1 else []
    if paragraphs and normalise_text(paragraphs[0]) == normalise_text(title):
        paragraphs = paragraphs[1:]
    paragraphs, publication = strip_trailing_promo(paragraphs)
    body = "\n\n".join(paragraphs)
    if not body:
        if not title:
            raise EmptyInputError("the file holds no text")
        # A one-paragraph file is body text, not a title with nothing under it.
        title, body = "", title
    return Article(
        id=article_id(url=None, title=title, body=body),
        origin=origin,
        title=title,
        body=body,
        attributed_publication=publication,
    )


def parse_seed_bytes(
    raw: bytes, origin: Origin, *, max_bytes: int, max_text_chars: int
) -> list[Article]:
    """Every article in one seed file; raise a QuarantineError naming what is wrong."""
    if len(raw) > max_bytes:
        raise TooLargeError(f"file is {len(raw)} bytes, above the {max_bytes}-byte limit")
    suffix = PurePath(origin.location).suffix.lower()
    if suffix not in TEXT_SUFFIXES:
        raise UnsupportedFormatError(f"no reader for '{suffix}' seed files")
    text, _encoding = decode_text(raw)
    if not text.strip():
        raise EmptyInputError("the file holds no text")
    if len(text) > max_text_chars:
        raise TooLargeError(f"text is {len(text)} characters, above the {max_text_chars} limit")
    return [parse_text_seed(text, origin)]
