"""What every seed reader shares: parse result, per-record errors, limits, article assembly."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from urllib.parse import urlsplit

from worker.errors import (
    EmptyInputError,
    NotTextError,
    QuarantineError,
    TooLargeError,
    UnsupportedFormatError,
)
from worker.record import Article, DateCandidate, Origin, article_id, normalise_text
from worker.sources.dates import choose_published
from worker.sources.decoding import decode_text
from worker.sources.page_extract import as_utc, parse_timestamp, split_authors
from worker.sources.promo import strip_trailing_promo

_BLANK_LINES = re.compile(r"\n\s*\n")
# A first line longer than this is prose, not a title.
TITLE_MAX_CHARS = 150
_SENTENCE_BREAK = re.compile(r"[.!?][\"'”’»)]*\s+(\S)|[。！？](.)")
_SENTENCE_END = re.compile(r"[.!?。！？][\"'”’»)]*$")
_FULL_STOP = re.compile(r"(?<!\.)[.。][\"'”’»)]*$")  # "." but not an ellipsis "..."
_KNOWN_ERRORS: tuple[type[QuarantineError], ...] = (
    NotTextError, EmptyInputError, TooLargeError, UnsupportedFormatError,
)


@dataclass(frozen=True)
class SeedLimits:
    """Bounds on one seed file beyond its byte size, so hostile files cost little."""

    max_records: int = 100_000
    max_archive_members: int = 10_000
    # 1 = archives hold plain files only; 2 = one archive inside an archive, no deeper.
    max_archive_depth: int = 2
    max_record_raw: int = 1024 * 1024


DEFAULT_LIMITS = SeedLimits()


@dataclass(frozen=True)
class RecordError:
    """One bad record inside a file whose other records are kept; ``raw`` is for replay."""

    location: str
    reason: str
    reason_code: str
    raw: bytes | None = None

    def to_exception(self) -> QuarantineError:
        """The error as the QuarantineError subclass its reason code stands for."""
        for cls in _KNOWN_ERRORS:
            if cls.reason_code == self.reason_code:
                return cls(self.reason)
        return QuarantineError(self.reason, reason_code=self.reason_code)


@dataclass
class SeedParse:
    """Everything one seed file yielded: good articles, bad records, what was skipped, notes."""

    articles: list[Article] = field(default_factory=list)
    errors: list[RecordError] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def skip(self, reason: str) -> None:
        """Count a record that is deliberately not an article (e.g. a WARC request)."""
        self.skipped[reason] = self.skipped.get(reason, 0) + 1


class DecompressionLimitError(TooLargeError):
    """Archive contents above the byte budget: the whole file is refused, not one member."""


class RecordLimitReached(Exception):
    """Internal signal: the file holds more records than allowed; reading stops there."""


@dataclass
class Budget:
    """Decompressed bytes still allowed for the whole file, shared by every archive level."""

    bytes_left: int

    def take(self, n: int) -> None:
        """Account for ``n`` more decompressed bytes; raise once the file exceeds its limit."""
        self.bytes_left -= n
        if self.bytes_left < 0:
            raise DecompressionLimitError("decompressed content above the seed byte limit")


@dataclass(frozen=True)
class ReadContext:
    """Where a reader is (name for dispatch, origin for articles) and what it may spend."""

    name: str
    origin: Origin
    max_text_chars: int
    now: datetime
    budget: Budget
    out: SeedParse
    limits: SeedLimits = DEFAULT_LIMITS
    depth: int = 0

    @property
    def location(self) -> str:
        """Prefix of record locations: the file, or the archive member."""
        return self.origin.location

    def member(self, name: str, *, location: str | None = None) -> ReadContext:
        """Context one archive level down; ``location`` replaces the origin for zip members."""
        origin = self.origin
        if location is not None:
            origin = origin.model_copy(update={"location": location})
        return replace(self, name=name, origin=origin, depth=self.depth + 1)

    def add_article(self, article: Article) -> None:
        """Keep one article, counting it against the record limit."""
        self._count()
        self.out.articles.append(article)

    def add_error(self, location: str, exc: QuarantineError, raw: bytes | None = None) -> None:
        """Keep one bad record with its reason and (bounded) bytes."""
        self._count()
        self.out.errors.append(record_error(location, exc, raw, self.limits.max_record_raw))

    def _count(self) -> None:
        if len(self.out.articles) + len(self.out.errors) >= self.limits.max_records:
            raise RecordLimitReached


def record_error(
    location: str, exc: QuarantineError, raw: bytes | None, max_raw: int
) -> RecordError:
    """A RecordError from an exception; raw bytes are cut to ``max_raw``."""
    return RecordError(
        location=location, reason=str(exc), reason_code=exc.reason_code,
        raw=raw[:max_raw] if raw is not None else None,
    )


def decode_single_text(raw: bytes, ctx: ReadContext) -> str:
    """Text of a one-article file: decoded, not blank, within the text limit."""
    text, _encoding = decode_text(raw)
    if not text.strip():
        raise EmptyInputError("the file holds no text")
    if len(text) > ctx.max_text_chars:
        raise TooLargeError(
            f"text is {len(text)} characters, above the {ctx.max_text_chars} limit"
        )
    return text


def split_paragraphs(text: str) -> list[str]:
    """Paragraphs separated by blank lines, inner line breaks folded into spaces."""
    return [
        " ".join(line.strip() for line in block.splitlines() if line.strip())
        for block in _BLANK_LINES.split(text)
        if block.strip()
    ]


def text_title_and_paragraphs(text: str) -> tuple[str, list[str]]:
    """Title and paragraphs of plain text; the title is '' when line 1 reads like prose.

    Line 1 is the title (the sample layout) unless it is longer than ``TITLE_MAX_CHARS``,
    holds several sentences, or runs on into a line starting in lower case (a wrapped
    paragraph). A title-less file keeps every paragraph as body and an empty title: a title
    made up from the first sentence would duplicate text that NER then counts twice.
    """
    stripped = text.strip()
    first, _, rest = stripped.partition("\n")
    first = " ".join(first.split())
    next_line = rest.lstrip(" \t").split("\n", 1)[0].strip()
    if not looks_like_title(first, next_line):
        return "", split_paragraphs(stripped)
    return first, split_paragraphs(rest)


def looks_like_title(line: str, next_line: str = "") -> bool:
    """Whether a first line is a headline rather than the start of the body."""
    if not line or len(line) > TITLE_MAX_CHARS:
        return False
    if next_line[:1].islower():
        return False
    return count_sentences(line) < 2


def is_sentence(line: str) -> bool:
    """Whether a line ends like a sentence ('.', '。'), as headlines do not."""
    return _FULL_STOP.search(line) is not None


def count_sentences(text: str) -> int:
    """Sentences in a line: breaks before a capital (or after CJK stops), plus a final stop."""
    breaks = 0
    for m in _SENTENCE_BREAK.finditer(text):
        following = m.group(1) or m.group(2) or ""
        if m.group(2) is not None or following.isupper() or following.isdigit():
            breaks += 1
    return breaks + (1 if _SENTENCE_END.search(text) else 0)


def line_paragraphs(text: str) -> list[str]:
    """Paragraphs of a body field: blank-line separated, or one per line if it has no blank line."""
    if _BLANK_LINES.search(text.strip()):
        return split_paragraphs(text)
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def checked_url(value: str) -> str:
    """An absolute http(s) URL, stripped; anything else is a bad record, not a wrong id."""
    url = value.strip()
    parts = urlsplit(url)
    if parts.scheme.lower() not in {"http", "https"} or not parts.hostname:
        raise QuarantineError(f"url {url[:200]!r} is not an absolute http(s) URL",
                              reason_code="invalid_url")
    return url


def authors_from(value: object, field_name: str = "authors") -> list[str]:
    """Author names from a string (';'-separated), a list of strings, or {"name": ...} items."""
    if value is None:
        return []
    if isinstance(value, str):
        return split_authors(value)
    items = value if isinstance(value, list) else [value]
    names: list[str] = []
    for item in items:
        if isinstance(item, dict):
            item = item.get("name")
        if not isinstance(item, str):
            raise QuarantineError(
                f"field {field_name!r} must be a string or a list of names",
                reason_code="invalid_record",
            )
        names.extend(split_authors(item))
    return names


def timestamp_from(value: object) -> datetime | None:
    """A date field as aware UTC: ISO 8601 / RFC 2822 text, epoch seconds, or a YAML date."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        return parse_timestamp(value)
    if isinstance(value, int | float):
        try:
            return datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, date):
        return as_utc(value)
    return None


def resolve_dates(
    candidates: Iterable[DateCandidate], now: datetime
) -> tuple[datetime | None, list[str]]:
    """Publication time and flags by the one rule feeds use too (``choose_published``)."""
    return choose_published(list(candidates), now)


def build_article(
    ctx: ReadContext,
    *,
    title: str,
    paragraphs: list[str],
    url: str | None = None,
    summary: str | None = None,
    guid: str | None = None,
    authors: Iterable[str] = (),
    candidates: Iterable[DateCandidate] = (),
    body_source: str = "seed",
    publication: str | None = None,
    language: str | None = None,
    flags: Iterable[str] = (),
    headline: bool = False,
) -> Article:
    """The record every format ends in: repeated title and trailing promo line removed.

    No body text is an error, unless ``headline`` allows a title alone (``body_source``
    "headline", body empty).
    """
    title = " ".join(title.split())
    while paragraphs and title and normalise_text(paragraphs[0]) == normalise_text(title):
        paragraphs = paragraphs[1:]
    paragraphs, promo = strip_trailing_promo(paragraphs)
    body = "\n\n".join(paragraphs)
    if not body.strip():
        if not (headline and title):
            raise EmptyInputError("the record has no body text")
        body, body_source = "", "headline"
    if len(body) > ctx.max_text_chars:
        raise TooLargeError(
            f"body is {len(body)} characters, above the {ctx.max_text_chars} limit"
        )
    candidates = list(candidates)
    published, date_flags = resolve_dates(candidates, ctx.now)
    return Article(
        id=article_id(url=url, title=title, body=body),
        origin=ctx.origin,
        url=url,
        title=title,
        body=body,
        summary=summary or None,
        guid=guid or None,
        authors=list(dict.fromkeys(a for a in authors if a)),
        body_source=body_source,
        attributed_publication=promo or publication,
        language=language,
        published_at=published,
        date_candidates=candidates,
        date_flags=[*date_flags, *flags],
        fetched_at=ctx.now,
    )
