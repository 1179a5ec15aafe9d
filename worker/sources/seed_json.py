"""JSON and JSON Lines seeds: one article per object, a bad object is a record error.

Fields of an object (others are ignored):

* ``title``: string, may be missing or empty.
* ``body``, else ``text``, else ``content``: string (HTML is reduced to its text; paragraphs
  are blank-line separated, or one per line when the text has no blank line) or a list of
  paragraph strings. Required: an object without body text is a record error.
* ``url``: absolute http(s) URL, else a record error (a wrong URL would give a wrong id).
* ``published_at``, else ``date``, else ``published``: ISO 8601 or RFC 2822 text, or epoch
  seconds; naive times are UTC. Date candidate source ``file``; unparseable: flag
  ``unparsed_date``, the article is kept.
* ``summary``: string. ``guid``: string or number. ``language``: language tag.
* ``authors``, else ``author``: string (names separated by ';'), list of strings, or list of
  ``{"name": ...}`` objects.

A ``.json`` file holds one object or an array of objects; one whose ``version`` starts with
``https://jsonfeed.org/version/`` (or ``http://``) is a JSON Feed and read as a feed.
Record locations: ``file.json`` (single object), ``file.json[3]`` (array index from 0),
``file.jsonl:7`` (line number from 1).
"""

from __future__ import annotations

import json
import re
from typing import Any

from worker.errors import EmptyInputError, NotTextError, QuarantineError
from worker.record import Article, DateCandidate
from worker.sources.decoding import decode_text
from worker.sources.page_extract import language_code
from worker.sources.seed_common import (
    ReadContext,
    authors_from,
    build_article,
    checked_url,
    line_paragraphs,
    timestamp_from,
)
from worker.sources.seed_feed import read_feed

JSON_FEED_PREFIXES = ("https://jsonfeed.org/version/", "http://jsonfeed.org/version/")
BODY_FIELDS = ("body", "text", "content")
DATE_FIELDS = ("published_at", "date", "published")
AUTHOR_FIELDS = ("authors", "author")
_HTML_HINT = re.compile(
    r"</?(?:p|div|br|li|ul|ol|h[1-6]|blockquote|span|a|em|strong|b|i|figure|img)\b[^>]*>", re.I
)
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def read_json(raw: bytes, ctx: ReadContext) -> None:
    """A ``.json`` seed: one object, an array of objects, or a JSON Feed."""
    text, _encoding = decode_text(raw)
    if not text.strip():
        raise EmptyInputError("the file holds no text")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise QuarantineError(f"not valid JSON: {exc}", reason_code="invalid_json") from exc
    if isinstance(data, dict) and str(data.get("version", "")).startswith(JSON_FEED_PREFIXES):
        read_feed(raw, ctx, content_type="application/feed+json")
        return
    if isinstance(data, dict):
        records: list[tuple[str, Any]] = [(ctx.location, data)]
    elif isinstance(data, list):
        records = [(f"{ctx.location}[{i}]", item) for i, item in enumerate(data)]
    else:
        raise QuarantineError("a JSON seed holds an object or an array of objects",
                              reason_code="invalid_json")
    for location, item in records:
        try:
            ctx.add_article(json_article(item, ctx))
        except QuarantineError as exc:
            ctx.add_error(location, exc, json.dumps(item, ensure_ascii=False).encode())


def read_jsonl(raw: bytes, ctx: ReadContext) -> None:
    """A JSON Lines seed: one object per line; a broken line is a record error, not the file."""
    if raw.startswith(_UTF16_BOMS):
        raw = decode_text(raw)[0].encode("utf-8")
    raw = raw.removeprefix(b"\xef\xbb\xbf")
    for lineno, line in enumerate(raw.split(b"\n"), 1):
        if not line.strip():
            continue
        location = f"{ctx.location}:{lineno}"
        try:
            try:
                data = json.loads(line.decode("utf-8"))
            except UnicodeDecodeError as exc:
                raise NotTextError(f"line is not UTF-8: {exc}") from exc
            except (ValueError, RecursionError) as exc:
                raise QuarantineError(f"not valid JSON: {exc}", reason_code="invalid_json") from exc
            ctx.add_article(json_article(data, ctx))
        except QuarantineError as exc:
            ctx.add_error(location, exc, line)


def json_article(data: object, ctx: ReadContext) -> Article:
    """One JSON object to an article under the documented field rules."""
    if not isinstance(data, dict):
        raise QuarantineError(f"a record must be a JSON object, not {type(data).__name__}",
                              reason_code="invalid_record")
    title = _string(data, "title") or ""
    paragraphs = _body(data)
    if not paragraphs:
        raise EmptyInputError(f"the record has no body text ({', '.join(BODY_FIELDS)})")
    url = _string(data, "url")
    published_raw = next((data[k] for k in DATE_FIELDS if data.get(k) not in (None, "")), None)
    candidates: list[DateCandidate] = []
    flags: list[str] = []
    if published_raw is not None:
        published = timestamp_from(published_raw)
        if published is None:
            flags.append("unparsed_date")
        else:
            candidates.append(DateCandidate(source="file", value=published))
    summary = _string(data, "summary")
    guid = data.get("guid")
    if guid is not None and (isinstance(guid, bool) or not isinstance(guid, str | int)):
        raise QuarantineError("field 'guid' must be a string or a number",
                              reason_code="invalid_record")
    return build_article(
        ctx,
        title=title,
        paragraphs=paragraphs,
        url=checked_url(url) if url else None,
        summary=" ".join(_paragraphs(summary)) if summary else None,
        guid=str(guid).strip() if guid is not None else None,
        authors=authors_from(next((data[k] for k in AUTHOR_FIELDS if k in data), None)),
        candidates=candidates,
        language=language_code(data.get("language")),
        flags=flags,
    )


def _string(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise QuarantineError(f"field {key!r} must be a string", reason_code="invalid_record")
    return value.strip() or None


def _body(data: dict[str, Any]) -> list[str]:
    for key in BODY_FIELDS:
        value = data.get(key)
        if value is None or value == "":
            continue
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            paragraphs = [p for v in value for p in _paragraphs(v)]
            if paragraphs:
                return paragraphs
            continue
        if not isinstance(value, str):
            raise QuarantineError(f"field {key!r} must be a string or a list of strings",
                                  reason_code="invalid_record")
        paragraphs = _paragraphs(value)
        if paragraphs:
            return paragraphs
    return []


def _paragraphs(text: str) -> list[str]:
    """Paragraphs of a text field; HTML is reduced to text first (as feed bodies are)."""
    if _HTML_HINT.search(text):
        # Imported here: feed_documents imports this package's modules.
        from worker.sources.feed_documents import html_to_text

        return [p for p in html_to_text(text).split("\n\n") if p]
    return line_paragraphs(text)
