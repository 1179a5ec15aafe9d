"""A search request as typed data, checked against what the index can answer (pure)."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError, field_validator

Sort = Literal["relevance", "newest", "oldest"]
Interval = Literal["day", "week", "month", "year"]
MAX_PAGE = 100


class SearchError(ValueError):
    """Input the search cannot run: says why, and what would be valid."""

    def __init__(self, message: str, valid: list[str] | None = None) -> None:
        super().__init__(message if not valid else f"{message} (valid: {', '.join(valid)})")
        self.valid = valid or []


@dataclass(frozen=True)
class Vocabulary:
    """Values filters may take: entity labels, languages and entity-id namespaces."""

    labels: tuple[str, ...]
    languages: tuple[str, ...]
    id_namespaces: tuple[str, ...]

    def label(self, value: str) -> str:
        """An index label, refused with the list when unknown."""
        label = value.strip().upper()
        if label not in self.labels:
            raise SearchError(f"unknown entity label '{value}'", list(self.labels))
        return label

    def language(self, value: str) -> str:
        """A language code, refused with the list when unknown."""
        code = value.strip().lower()
        if code not in self.languages:
            raise SearchError(f"unknown language '{value}'", list(self.languages))
        return code


class SearchRequest(BaseModel):
    """What a person asks: words, filters, order and page; the same for the CLI and the API."""

    q: str = ""
    entities: list[str] = Field(default_factory=list, description="NAME, LABEL:NAME or an id")
    labels: list[str] = Field(default_factory=list, description="has an entity of this label")
    languages: list[str] = Field(default_factory=list)
    origins: list[str] = Field(default_factory=list, description="seed path (prefix) or URL")
    feeds: list[str] = Field(default_factory=list, description="feed URL")
    publications: list[str] = Field(default_factory=list)
    sites: list[str] = Field(default_factory=list, description="host, e.g. example.org")
    date_from: datetime | None = None
    date_to: datetime | None = None
    sort: Sort = "relevance"
    size: int = Field(10, ge=1, le=MAX_PAGE)
    after: str | None = Field(None, description="the `next` cursor of the previous page")

    @field_validator("date_from", mode="before")
    @classmethod
    def _date_from(cls, value: Any) -> Any:
        return parse_when(value) if isinstance(value, str) else value

    @field_validator("date_to", mode="before")
    @classmethod
    def _date_to(cls, value: Any) -> Any:
        return parse_when(value, end_of_day=True) if isinstance(value, str) else value

    @classmethod
    def of(cls, **values: Any) -> SearchRequest:
        """A request from loose values; SearchError naming the first bad one."""
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise SearchError(f"{where}: {first['msg'].removeprefix('Value error, ')}") from None

    def checked(self, vocabulary: Vocabulary) -> SearchRequest:
        """The request with labels and languages normalised; SearchError on what is unknown."""
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise SearchError(f"date_from {self.date_from.date()} is after date_to "
                              f"{self.date_to.date()}")
        if self.after is not None:
            decode_cursor(self.after)
        return self.model_copy(update={
            "labels": [vocabulary.label(v) for v in self.labels],
            "languages": [vocabulary.language(v) for v in self.languages],
            "entities": [v for v in (e.strip() for e in self.entities) if v],
        })


def parse_when(value: str, *, end_of_day: bool = False) -> datetime | None:
    """'2024-05-01' or an ISO datetime; a bare date is that day's start in UTC (its last
    instant for the end of a range, so `--to 2024-03-31` includes the 31st)."""
    text = value.strip()
    if not text:
        return None
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time.max if end_of_day else time(),
                                    UTC)
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise SearchError(f"'{value}' is not a date (use YYYY-MM-DD or an ISO datetime)") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def encode_cursor(sort_values: list[Any]) -> str:
    """The opaque `next` token: the last hit's sort values, for search_after."""
    raw = json.dumps(sort_values, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str) -> list[Any]:
    """The sort values a cursor carries; SearchError when it was not made by encode_cursor."""
    try:
        padded = token + "=" * (-len(token) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise SearchError("the `after` cursor is not one this API returned") from None
    if not isinstance(values, list):
        raise SearchError("the `after` cursor is not one this API returned")
    return values
