"""The article record: the one type that flows through every stage, and its identity."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import UTC, datetime
from typing import Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import BaseModel, Field

SourceKind = Literal["seed", "feed", "url"]
NerStatus = Literal["pending", "ok", "unsupported", "skipped"]


class Origin(BaseModel):
    """Where a record came from: a seed file path or a URL, and the job that brought it."""

    kind: SourceKind
    location: str
    job_id: str | None = None


class Mention(BaseModel):
    """One entity occurrence; offsets index into ``Article.analysed_text``.

    The span is the name alone ("Putin" of "Bpk. Putin") and the label is its entity's, the
    same for every mention of one entity in a document.
    """

    text: str
    label: str
    start: int
    end: int
    model_label: str | None = Field(
        None, description="What the model (or gazetteer) said, when the entity's label differs.")
    title: str | None = Field(None, description="A personal title left out of the span: 'Bpk.'.")


class Entity(BaseModel):
    """The mentions of one entity in one article, merged under a canonical name."""

    key: str = Field(description="Stable id, e.g. 'PER:vladimir putin'.")
    name: str
    label: str
    surface_forms: list[str]
    count: int
    canonical_id: str | None = Field(None, description="Cross-language id, e.g. 'country:SY'.")


class DateCandidate(BaseModel):
    """One claim about when an article was published, and who made it."""

    source: str = Field(description="feed_published, feed_updated, page_meta, file, first_seen")
    value: datetime


class Provenance(BaseModel):
    """Which stage touched the record, with what, and when."""

    stage: str
    name: str
    version: str
    at: datetime


class TextFingerprint(BaseModel):
    """An article text's fingerprints (``worker.index.dedup``), made where the record enters the
    pipeline so that the index stage need not: ``text_crc`` says whether they still describe
    the title and body, or were made for a text that has changed since."""

    text_crc: int
    content_hash: str
    minhash: list[int]
    banded: bool = Field(description="Long enough for LSH bands (near-duplicate lookup).")


class Article(BaseModel):
    """A normalised news article; ids are deterministic so re-ingesting is idempotent."""

    id: str
    origin: Origin
    url: str | None = None
    title: str
    body: str
    summary: str | None = None
    guid: str | None = None
    authors: list[str] = Field(default_factory=list)
    body_source: str = Field(
        "seed", description="seed, feed_content, feed_summary, page; headline: a title (and "
        "link) with no text, the body is empty")
    attributed_publication: str | None = None
    language: str | None = None
    language_confidence: float | None = None
    language_reliable: bool = False
    published_at: datetime | None = None
    date_candidates: list[DateCandidate] = Field(default_factory=list)
    date_flags: list[str] = Field(default_factory=list, description="future, conflicting")
    fetched_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    ner_status: NerStatus = "pending"
    chars_analysed: int = 0
    word_count: int = 0
    reading_time_minutes: float = 0.0
    keywords: list[str] = Field(default_factory=list)
    enrichment_signature: str | None = None
    mentions: list[Mention] = Field(default_factory=list)
    entities: list[Entity] = Field(default_factory=list)
    provenance: list[Provenance] = Field(default_factory=list)
    fingerprint: TextFingerprint | None = Field(
        None, description="Made before NLP; not indexed as such (documents carry its parts).")

    @property
    def analysed_text(self) -> str:
        """Title and body as NLP sees them; mention offsets point into this string."""
        return f"{self.title}\n\n{self.body}" if self.title else self.body


_TRACKING_PARAMS = re.compile(r"^(utm_\w+|fbclid|gclid|mc_cid|mc_eid|ref|cmpid|ocid)$", re.I)


def normalise_url(url: str) -> str:
    """Canonical form of a URL, so the same article under cosmetic variants has one id."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        host = f"{host}:{port}"
    query = sorted(
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not _TRACKING_PARAMS.match(k)
    )
    path = re.sub(r"/{2,}", "/", parts.path) or "/"
    return urlunsplit((scheme, host, path, urlencode(query), ""))


def normalise_text(text: str) -> str:
    """Text reduced to what identifies it: NFKC, case-folded, whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:32]


def article_id(*, url: str | None, title: str, body: str) -> str:
    """Document ``_id``: a hash of the normalised URL, or of the normalised text without one."""
    if url:
        return "u" + _digest(normalise_url(url))
    return "t" + _digest(normalise_text(f"{title}\n{body}"))
