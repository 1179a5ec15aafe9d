"""Seed files to article records: dispatch on the file suffix; pure parsing, bytes in, records out.

Formats (one reader module each):

* ``.txt``/``.text``/no suffix: plain text, here (see ``text_title_and_paragraphs``); a
  title line alone is a headline.
* ``.md``/``.markdown``: ``seed_markdown``.
* ``.html``/``.htm``: ``seed_html`` (trafilatura main text via ``page_extract``).
* ``.json``/``.jsonl``/``.ndjson``: ``seed_json``; a JSON Feed ``.json`` goes to ``seed_feed``.
* ``.xml``/``.rss``/``.atom``/``.rdf``: ``seed_feed`` (``worker.sources.feed_documents``).
* ``.warc``: ``seed_warc``; ``.gz``/``.zip``: ``seed_archive`` (``a.warc.gz`` = gzip of a WARC).

Errors: a problem with the file as a whole raises a QuarantineError from ``parse_seed_file``;
a bad record among good ones (a JSONL line, a WARC record, a feed entry, a zip member) becomes
a ``RecordError`` in ``SeedParse.errors`` and the other records are kept.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import PurePosixPath

from worker.errors import EmptyInputError, TooLargeError, UnsupportedFormatError
from worker.record import Article, Origin
from worker.sources.seed_archive import read_gzip, read_zip
from worker.sources.seed_common import (
    DEFAULT_LIMITS,
    Budget,
    ReadContext,
    RecordError,
    RecordLimitReached,
    SeedLimits,
    SeedParse,
    build_article,
    decode_single_text,
    is_sentence,
    split_paragraphs,
    text_title_and_paragraphs,
)
from worker.sources.seed_feed import read_feed
from worker.sources.seed_html import read_html
from worker.sources.seed_json import read_json, read_jsonl
from worker.sources.seed_markdown import read_markdown
from worker.sources.seed_warc import read_warc

__all__ = [
    "DEFAULT_LIMITS", "RecordError", "SeedLimits", "SeedParse", "parse_seed_bytes",
    "parse_seed_file", "split_paragraphs", "text_title_and_paragraphs",
]

TEXT_SUFFIXES = frozenset({".txt", ".text", ""})

Reader = Callable[[bytes, ReadContext], None]


def parse_seed_file(
    raw: bytes,
    origin: Origin,
    *,
    max_bytes: int,
    max_text_chars: int,
    limits: SeedLimits = DEFAULT_LIMITS,
) -> SeedParse:
    """Every article in one seed file plus its bad records; raise only when the file itself is bad.

    ``max_bytes`` bounds the file and, separately, everything decompressed from it in total.
    """
    if len(raw) > max_bytes:
        raise TooLargeError(f"file is {len(raw)} bytes, above the {max_bytes}-byte limit")
    ctx = ReadContext(
        name=origin.location, origin=origin, max_text_chars=max_text_chars,
        now=datetime.now(UTC), budget=Budget(max_bytes), out=SeedParse(), limits=limits,
    )
    try:
        dispatch(raw, ctx)
    except RecordLimitReached:
        ctx.out.errors.append(RecordError(
            location=origin.location, reason_code="too_large",
            reason=f"more than {limits.max_records} records; the rest of the file was not read",
        ))
    if not ctx.out.articles and not ctx.out.errors:
        skipped = ", ".join(f"{k}={v}" for k, v in sorted(ctx.out.skipped.items()))
        detail = f" (skipped: {skipped})" if skipped else ""
        raise EmptyInputError(f"no articles in the file{detail}")
    return ctx.out


def parse_seed_bytes(
    raw: bytes, origin: Origin, *, max_bytes: int, max_text_chars: int
) -> list[Article]:
    """Every article in one seed file; raise the first record error only if none is good."""
    parsed = parse_seed_file(raw, origin, max_bytes=max_bytes, max_text_chars=max_text_chars)
    if not parsed.articles:
        raise parsed.errors[0].to_exception()
    return parsed.articles


def dispatch(raw: bytes, ctx: ReadContext) -> None:
    """Hand the bytes to the reader for ``ctx.name``'s suffix (archives call back in here)."""
    suffix = PurePosixPath(ctx.name.replace("\\", "/")).suffix.lower()
    reader = _READERS.get(suffix)
    if reader is None:
        raise UnsupportedFormatError(f"no reader for '{suffix}' seed files")
    reader(raw, ctx)


def read_text(raw: bytes, ctx: ReadContext) -> None:
    """A plain-text seed: one article."""
    text = decode_single_text(raw, ctx)
    title, paragraphs = text_title_and_paragraphs(text)
    if not paragraphs and is_sentence(title):
        # One sentence alone is body text; a title line alone is a headline.
        title, paragraphs = "", [title]
    ctx.add_article(build_article(ctx, title=title, paragraphs=paragraphs, headline=True))


_READERS: dict[str, Reader] = {
    **dict.fromkeys(TEXT_SUFFIXES, read_text),
    ".md": read_markdown,
    ".markdown": read_markdown,
    ".html": read_html,
    ".htm": read_html,
    ".json": read_json,
    ".jsonl": read_jsonl,
    ".ndjson": read_jsonl,
    ".xml": read_feed,
    ".rss": read_feed,
    ".atom": read_feed,
    ".rdf": read_feed,
    ".warc": read_warc,
    ".gz": partial(read_gzip, dispatch=dispatch),
    ".zip": partial(read_zip, dispatch=dispatch),
}
