"""Full text for summary-only and headline feed entries: the article page's main text, and
date rules."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from worker.record import Article, DateCandidate, article_id
from worker.sources.dates import choose_published


def apply_page(article: Article, page: Any, now: datetime) -> Article:
    """The entry with the page's main text as body; the feed summary is kept as summary.

    A headline's page gives it its text; without one it stays a headline.
    """
    update: dict[str, Any] = {}
    if page.text and len(page.text) > len(article.body):
        update |= {"body": page.text, "body_source": "page",
                   "summary": article.summary or article.body or None}
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
