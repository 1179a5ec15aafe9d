"""Finding documents that today's models and rules would enrich differently."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from worker.enrich.annotate import Enricher
from worker.index.stats import buckets
from worker.index.store import ElasticStore
from worker.record import Article

_MISSING = "__none__"


def stale_query(signatures: dict[str | None, str]) -> dict[str, Any]:
    """Documents whose signature differs from the current one for their language."""
    should = []
    for language, signature in signatures.items():
        lang_filter: dict[str, Any] = (
            {"term": {"language": language}} if language
            else {"bool": {"must_not": {"exists": {"field": "language"}}}}
        )
        should.append({"bool": {"filter": [lang_filter],
                                "must_not": [{"term": {"enrichment_signature": signature}}]}})
    return {"bool": {"should": should, "minimum_should_match": 1}}


def current_signatures(store: ElasticStore, enricher: Enricher) -> dict[str | None, str]:
    """Today's signature for every language present in the index."""
    response = store.aggregate(
        {"languages": {"terms": {"field": "language", "size": 500, "missing": _MISSING}}}
    )
    languages = [None if k == _MISSING else k for k in buckets(response, "languages")]
    return {lang: enricher.signature(lang) for lang in languages}


def stale_articles(
    store: ElasticStore, enricher: Enricher, *, limit: int | None = None
) -> Iterator[Article]:
    """Stored articles that are stale, rebuilt as records (no refetching)."""
    query = stale_query(current_signatures(store, enricher))
    for n, (doc_id, source) in enumerate(store.scan(query)):
        if limit is not None and n >= limit:
            return
        yield document_to_article(doc_id, source)


def document_to_article(doc_id: str, source: dict[str, Any]) -> Article:
    """The record an indexed document was made from (enrichment fields are recomputed)."""
    origins = source.get("origins") or [{"kind": source.get("source_kind", "seed"),
                                         "location": doc_id}]
    return Article.model_validate({**source, "id": doc_id, "origin": origins[0]})
