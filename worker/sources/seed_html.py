"""HTML seeds and pages inside archives: trafilatura main text to one article."""

from __future__ import annotations

from collections.abc import Iterable

from worker.record import Article, DateCandidate
from worker.sources.page_extract import ExtractedPage, extract_page
from worker.sources.seed_common import ReadContext, build_article


def read_html(raw: bytes, ctx: ReadContext) -> None:
    """A saved HTML page: one article, its URL the page's canonical URL when it declares one."""
    page = extract_page(raw)
    ctx.add_article(page_article(page, ctx, url=page.canonical_url))


def page_article(
    page: ExtractedPage,
    ctx: ReadContext,
    *,
    url: str | None,
    extra_candidates: Iterable[DateCandidate] = (),
) -> Article:
    """The article of an extracted page; the site name is its publication unless a promo says."""
    candidates = [DateCandidate(source="page_meta", value=page.published)] if page.published else []
    return build_article(
        ctx,
        title=page.title,
        paragraphs=page.text.split("\n\n"),
        url=url,
        summary=page.description,
        authors=page.authors,
        candidates=[*candidates, *extra_candidates],
        body_source="page",
        publication=page.sitename,
        language=page.language,
    )
