"""WARC seeds (news crawls such as CC-NEWS): every 2xx HTML response is one extracted article.

Article URL: WARC-Target-URI. Date candidates: ``page_meta`` (the page's own claim) and
``warc_date`` (crawl time); ``published_at`` follows the shared rule in
``worker.sources.dates.choose_published`` (page_meta before warc_date). Other records
(request, warcinfo, metadata, revisit, non-2xx, non-HTML) are skipped and counted in
``SeedParse.skipped``. A page that yields no article is a record error at
``{file}#record-{n}`` (n counts every WARC record from 1), with its payload as raw bytes.
"""

from __future__ import annotations

import io
from dataclasses import replace
from typing import Any

from warcio.archiveiterator import ArchiveIterator  # type: ignore[import-untyped]

from worker.errors import QuarantineError
from worker.record import DateCandidate
from worker.sources.page_extract import extract_page, parse_timestamp
from worker.sources.seed_archive import CHUNK, read_gzip
from worker.sources.seed_common import (
    DecompressionLimitError,
    ReadContext,
    RecordLimitReached,
    checked_url,
)
from worker.sources.seed_html import page_article

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_GZIP_MAGIC = b"\x1f\x8b"


def read_warc(raw: bytes, ctx: ReadContext) -> None:
    """A WARC file (gzip members are inflated against the byte budget first)."""
    if raw.startswith(_GZIP_MAGIC):
        read_gzip(raw, replace(ctx, name=ctx.name + ".gz"), dispatch=read_warc)
        return
    n = 0  # records read so far
    records = iter(ArchiveIterator(io.BytesIO(raw), check_digests=False))
    while True:
        try:
            record = next(records, None)
            if record is None:
                break
            if record.format != "warc":
                # warcio falls back to the legacy ARC layout for almost any text line.
                raise ValueError(f"{record.format!r} record, not WARC")
            n += 1
            _read_record(record, n, ctx)
        except (QuarantineError, RecordLimitReached):
            raise
        except Exception as exc:  # warcio raises plain exceptions for damaged streams
            if n == 0:
                raise QuarantineError(f"not a readable WARC file: {exc}",
                                      reason_code="invalid_warc") from exc
            ctx.add_error(f"{ctx.location}#record-{n + 1}", QuarantineError(
                f"WARC stream unreadable from this record on: {exc}", reason_code="invalid_warc"))
            break


def _read_record(record: Any, n: int, ctx: ReadContext) -> None:
    location = f"{ctx.location}#record-{n}"
    if record.rec_type != "response":
        ctx.out.skip(f"warc_{record.rec_type}")
        return
    http = record.http_headers
    if http is None:
        ctx.out.skip("warc_no_http")
        return
    status = http.get_statuscode() or ""
    if not status.startswith("2"):
        ctx.out.skip(f"warc_status_{status[:1] or 'unknown'}xx")
        return
    content_type = http.get_header("Content-Type") or ""
    mime = content_type.split(";", 1)[0].strip().lower()
    if mime not in HTML_TYPES:
        ctx.out.skip("warc_non_html")
        return
    payload = _payload(record, ctx)
    try:
        url = checked_url(record.rec_headers.get_header("WARC-Target-URI") or "")
        page = extract_page(_decoded(payload, content_type), url=url)
        warc_date = parse_timestamp(record.rec_headers.get_header("WARC-Date") or "")
        crawled = [DateCandidate(source="warc_date", value=warc_date)] if warc_date else []
        article = page_article(page, ctx, url=url, extra_candidates=crawled)
    except DecompressionLimitError:
        raise
    except QuarantineError as exc:
        ctx.add_error(location, exc, payload)
        return
    ctx.add_article(article)


def _payload(record: Any, ctx: ReadContext) -> bytes:
    """The HTTP body, de-chunked; content-encoded bytes are charged to the byte budget."""
    encoded = (record.http_headers.get_header("Content-Encoding") or "identity").lower()
    stream = record.content_stream()
    out = bytearray()
    while chunk := stream.read(CHUNK):
        if encoded != "identity":
            ctx.budget.take(len(chunk))
        out += chunk
    return bytes(out)


def _decoded(payload: bytes, content_type: str) -> bytes | str:
    """Text in the charset the HTTP header names, else the bytes for trafilatura to detect."""
    for param in content_type.split(";")[1:]:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            try:
                return payload.decode(value.strip().strip("\"'"))
            except (LookupError, UnicodeDecodeError):
                return payload
    return payload
