"""Feed files given as seeds (RSS, Atom, RDF, JSON Feed): parsed by ``feed_documents``.

Each entry becomes an article through ``entry_to_article`` with ``feed_url`` = the seed file's
location; the article's origin is then the seed file itself (or its archive member), like
every other seed record, so origin facets count files. A trailing promo line is stripped
from the entry's body before its id is computed. An entry with a title and no text is a
headline (indexed, ``body_source`` "headline"); one with neither, or with a body above
``max_text_chars``, is a record error at ``{file}#entry-{n}`` (n from 1); entries the feed
parser had to drop (malformed XML, the record limit) are one record error at the file.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from worker.errors import EmptyInputError, QuarantineError, TooLargeError
from worker.sources.page_extract import language_code
from worker.sources.promo import strip_trailing_promo
from worker.sources.seed_common import ReadContext

if TYPE_CHECKING:
    from worker.sources.feed_documents import FeedEntry


def read_feed(raw: bytes, ctx: ReadContext, *, content_type: str | None = None) -> None:
    """A feed file: one article per entry."""
    from worker.sources.feed_documents import entry_to_article, parse_feed

    feed = parse_feed(
        raw, content_type=content_type, max_entries=ctx.limits.max_records,
        max_field_chars=ctx.max_text_chars + 1, max_bytes=max(len(raw), 1),
    )
    ctx.out.warnings.extend(f"{ctx.location}: {w}" for w in feed.warnings)
    for n, entry in enumerate(feed.entries, 1):
        location = f"{ctx.location}#entry-{n}"
        try:
            entry, publication = _without_promo(entry)
            article = entry_to_article(
                entry, feed_url=ctx.location, job_id=ctx.origin.job_id, fetched_at=ctx.now
            )
            if not article.body.strip() and not article.title.strip():
                raise EmptyInputError("the feed entry has no title, content or summary text")
            if len(article.body) > ctx.max_text_chars:
                raise TooLargeError(
                    f"body is over the {ctx.max_text_chars}-character limit"
                )
        except QuarantineError as exc:
            ctx.add_error(location, exc)
            continue
        ctx.add_article(article.model_copy(update={
            "origin": ctx.origin,
            "attributed_publication": publication,
            "language": language_code(entry.language),
        }))
    missing = feed.entries_total - len(feed.entries)
    if missing > 0:
        limited = len(feed.entries) >= ctx.limits.max_records
        ctx.add_error(ctx.location, QuarantineError(
            f"{missing} of {feed.entries_total} feed entries not read: "
            + ("; ".join(feed.warnings[:3]) or "dropped by the feed parser"),
            reason_code="too_large" if limited else "malformed_feed",
        ))


def _without_promo(entry: FeedEntry) -> tuple[FeedEntry, str | None]:
    """The entry with a trailing promo paragraph cut from its body text (content, else summary)."""
    text = entry.content or entry.summary
    if not text:
        return entry, None
    paragraphs = text.split("\n\n")
    kept, publication = strip_trailing_promo(paragraphs)
    if len(kept) == len(paragraphs):
        return entry, None
    body = "\n\n".join(kept)
    if entry.content:
        return replace(entry, content=body), publication
    return replace(entry, summary=body), publication
