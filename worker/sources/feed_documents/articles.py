"""Feed entries to Articles, identified the way every other source identifies them; an
entry with a title and no text is a headline."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urljoin, urlsplit

from worker.record import Article, DateCandidate, Origin, article_id, normalise_url
from worker.sources.dates import choose_published
from worker.sources.feed_documents.model import FeedEntry


def entry_to_article(
    entry: FeedEntry, *, feed_url: str, job_id: str | None, fetched_at: datetime
) -> Article:
    """The Article of a feed entry; its id is the URL's, so every source agrees on it."""
    if fetched_at.tzinfo is None:
        raise ValueError("fetched_at must be timezone-aware")
    url = _http_url(entry.url, base=feed_url) or _http_url(entry.guid)
    title = entry.title or ""
    body, body_source = entry_body(entry)
    candidates = [DateCandidate(source=source, value=value) for source, value in (
        ("feed_published", entry.published), ("feed_updated", entry.updated)) if value]
    published_at, flags = choose_published(candidates, fetched_at)
    if url:
        identity = article_id(url=url, title=title, body=body)
    elif entry.guid:
        # GUIDs are unique within one feed only, so the feed is part of what is hashed.
        identity = article_id(url=None, title=f"feed {normalise_url(feed_url)}", body=entry.guid)
    else:
        identity = article_id(url=None, title=title, body=body)
    return Article(
        id=identity,
        origin=Origin(kind="feed", location=feed_url, job_id=job_id),
        url=url,
        title=title,
        body=body,
        summary=entry.summary,
        guid=entry.guid,
        authors=list(entry.authors),
        body_source=body_source,
        published_at=published_at,
        date_candidates=candidates,
        date_flags=flags,
        fetched_at=fetched_at,
    )


def entry_body(entry: FeedEntry) -> tuple[str, str]:
    """(body, body_source) of an entry: its content, else its summary, else nothing.

    A title with no text is a headline (``body_source`` "headline", body empty): news
    all the same, indexed and searched by its title. The title is not copied into the body,
    where NER would count its names twice. Neither title nor text: the body is empty and
    the readers refuse it.
    """
    if entry.content and entry.content.strip():
        return entry.content, "feed_content"
    if entry.summary and entry.summary.strip():
        return entry.summary, "feed_summary"
    return "", "headline" if entry.title and entry.title.strip() else "feed_summary"


def _http_url(value: str | None, *, base: str | None = None) -> str | None:
    """An absolute http(s) URL (relative ones resolved against ``base``), else None."""
    if not value or not value.strip():
        return None
    try:
        url = urljoin(base, value.strip()) if base else value.strip()
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme in {"http", "https"} and parts.hostname else None
