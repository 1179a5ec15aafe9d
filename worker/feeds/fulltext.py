"""Full text for summary-only feed entries: the article page's main text, and date rules."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from worker.record import Article, DateCandidate, article_id

# Date rule, in order: the feed's published date, the page's own metadata, the feed's
# updated date; never a date more than a day in the future (flagged "future"). Candidates
# more than a day apart are flagged "conflicting"; every candidate is kept on the record.
DATE_PREFERENCE = ("feed_published", "page_meta", "warc_date", "feed_updated", "file")
FUTURE_TOLERANCE = timedelta(days=1)
CONFLICT_TOLERANCE = timedelta(days=1)


def choose_published(
    candidates: list[DateCandidate], now: datetime
) -> tuple[datetime | None, list[str]]:
    """The published date by the documented rule, and flags about the candidates."""
    flags: list[str] = []
    plausible = [c for c in candidates if c.value <= now + FUTURE_TOLERANCE]
    if len(plausible) < len(candidates):
        flags.append("future")
    values = [c.value for c in plausible]
    if values and max(values) - min(values) > CONFLICT_TOLERANCE:
        flags.append("conflicting")
    for source in DATE_PREFERENCE:
        for cand in plausible:
            if cand.source == source:
                return cand.value, flags
    return None, flags


def apply_page(article: Article, page: Any, now: datetime) -> Article:
    """The entry with the page's main text as body; the feed summary is kept as summary."""
    update: dict[str, Any] = {}
    if page.text and len(page.text) > len(article.body):
        update |= {"body": page.text, "body_source": "page",
                   "summary": article.summary or article.body}
    if page.canonical_url and page.canonical_url != article.url:
        # The page's canonical link is its identity: the same story under another URL
        # (tracking links, AMP pages) becomes one document.
        update |= {"url": page.canonical_url,
                   "id": article_id(url=page.canonical_url, title="", body="")}
    if not article.authors and page.authors:
        update["authors"] = list(page.authors)
    candidates = list(article.date_candidates)
    if page.published is not None:
        candidates.append(DateCandidate(source="page_meta", value=page.published))
    published, flags = choose_published(candidates, now)
    update |= {"date_candidates": candidates, "published_at": published, "date_flags": flags}
    return article.model_copy(update=update)
