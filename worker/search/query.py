"""Search, facet, co-occurrence and similar-article requests as Elasticsearch bodies (pure)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from worker.enrich.normalise import EntityTables
from worker.search.entity_filter import entity_terms
from worker.search.request import SearchError, SearchRequest, Vocabulary, decode_cursor

# Every language's words in one query: the standard analysis, an accent-folded copy, and the
# copy under the article's own language analyzer (stemming, stop words, elision).
TEXT_FIELDS = [
    "title^3", "title.folded^2", "summary^2", "summary.folded", "body", "body.folded",
    "text_by_language.*.title^3", "text_by_language.*.summary^2", "text_by_language.*.body",
    "entities.name^2",
]
DATE_FIELD = "published_or_fetched_at"
HIT_SOURCE = [
    "id", "title", "summary", "url", "site", "origins", "language", "published_at", "fetched_at",
    DATE_FIELD, "entities", "attributed_publication", "ner_status", "story_id",
    "near_duplicate_of", "version", "keywords",
]
_MARK = {"pre_tags": ["<mark>"], "post_tags": ["</mark>"], "encoder": "html"}
_SORTS: dict[str, list[dict[str, Any]]] = {
    "relevance": [{"_score": "desc"}, {DATE_FIELD: "desc"}, {"id": "asc"}],
    "newest": [{DATE_FIELD: "desc"}, {"id": "asc"}],
    "oldest": [{DATE_FIELD: "asc"}, {"id": "asc"}],
}
# Days a per-day histogram may span before the caller must pick a coarser interval.
MAX_HISTOGRAM_BUCKETS = 1000


def text_query(q: str) -> dict[str, Any]:
    """The user's words; simple_query_string never fails on syntax (quotes, -, | are honoured)."""
    if not q.strip():
        return {"match_all": {}}
    return {"simple_query_string": {
        "query": q, "fields": TEXT_FIELDS, "default_operator": "and", "lenient": True,
    }}


def filters(request: SearchRequest, vocabulary: Vocabulary,
            tables: EntityTables) -> list[dict[str, Any]]:
    """Every filter of a request; each entity filter must match (any of its spellings)."""
    clauses: list[dict[str, Any]] = [
        {"terms": {"entity_keys": entity_terms(v, vocabulary, tables, request.languages)}}
        for v in request.entities
    ]
    clauses += [{"term": {"entities.label": label}} for label in request.labels]
    if request.languages:
        clauses.append({"terms": {"language": request.languages}})
    if request.origins:
        clauses.append({"bool": {"minimum_should_match": 1, "should": [
            clause for o in request.origins
            for clause in ({"term": {"origins.location": o}},
                           {"prefix": {"origins.location": o.rstrip("/") + "/"}})
        ]}})
    if request.feeds:
        clauses.append({"terms": {"origins.location": request.feeds}})
    if request.publications:
        clauses.append({"terms": {"attributed_publication": request.publications}})
    if request.sites:
        clauses.append({"terms": {"site": [s.lower().removeprefix("www.") for s in request.sites]}})
    if request.date_from or request.date_to:
        bounds = {k: v.isoformat() for k, v in
                  (("gte", request.date_from), ("lte", request.date_to)) if v is not None}
        clauses.append({"range": {DATE_FIELD: bounds}})
    return clauses


def bool_query(request: SearchRequest, vocabulary: Vocabulary,
               tables: EntityTables) -> dict[str, Any]:
    """Words as the scored part, filters as the unscored part."""
    return {"bool": {"must": [text_query(request.q)],
                     "filter": filters(request, vocabulary, tables)}}


def search_body(request: SearchRequest, vocabulary: Vocabulary,
                tables: EntityTables) -> dict[str, Any]:
    """One page of hits with highlighted title and body snippets."""
    body: dict[str, Any] = {
        "query": bool_query(request, vocabulary, tables),
        "size": request.size,
        "sort": _SORTS[request.sort],
        "track_total_hits": True,
        "_source": HIT_SOURCE,
        "highlight": {**_MARK, "fields": {
            "title": {"number_of_fragments": 0},
            "text_by_language.*.title": {"number_of_fragments": 0},
            "title.folded": {"number_of_fragments": 0},
            "text_by_language.*.body": {"fragment_size": 160, "number_of_fragments": 2},
            "body": {"fragment_size": 160, "number_of_fragments": 2},
            "body.folded": {"fragment_size": 160, "number_of_fragments": 2},
        }},
    }
    if request.after:
        body["search_after"] = decode_cursor(request.after)
    return body


def facet_aggregations(vocabulary: Vocabulary, *, size: int, interval: str,
                       request: SearchRequest) -> dict[str, Any]:
    """Top entities per label, languages, origins, sites, publications and articles over time."""
    aggs: dict[str, Any] = {
        f"entities.{label}": {"terms": {"field": f"entity_names.{label}", "size": size}}
        for label in vocabulary.labels
    }
    aggs |= {
        "languages": {"terms": {"field": "language", "size": 50, "missing": "unknown"}},
        "source_kinds": {"terms": {"field": "source_kind", "size": 5}},
        "origins": {"terms": {"field": "origins.location", "size": size}},
        "sites": {"terms": {"field": "site", "size": size}},
        "publications": {"terms": {"field": "attributed_publication", "size": size}},
        "per_day": histogram(interval, request.date_from, request.date_to),
    }
    return aggs


def histogram(interval: str, start: datetime | None, end: datetime | None) -> dict[str, Any]:
    """Articles per interval; empty intervals only inside an asked range, so it stays bounded."""
    spec: dict[str, Any] = {"field": DATE_FIELD, "calendar_interval": interval,
                            "min_doc_count": 1, "format": "yyyy-MM-dd"}
    if start and end:
        per_bucket = {"day": 1, "week": 7, "month": 28, "year": 365}[interval]
        if (end - start).days / per_bucket > MAX_HISTOGRAM_BUCKETS:
            raise SearchError(f"{(end - start).days} days in {interval}s is more than "
                              f"{MAX_HISTOGRAM_BUCKETS} buckets; choose a coarser interval",
                              ["day", "week", "month", "year"])
        spec |= {"min_doc_count": 0, "extended_bounds": {
            "min": start.strftime("%Y-%m-%d"), "max": end.strftime("%Y-%m-%d")}}
    return {"date_histogram": spec}


def cooccurrence_aggregations(vocabulary: Vocabulary, *, size: int,
                              significant: bool) -> dict[str, Any]:
    """Entities per label in the articles that mention X: plain counts, or significant terms."""
    kind = "significant_terms" if significant else "terms"
    # Room for the entity itself, which is dropped from the buckets afterwards.
    return {f"entities.{label}": {kind: {"field": f"entity_names.{label}", "size": size + 5}}
            for label in vocabulary.labels}


def similar_body(doc_id: str, source: dict[str, Any], size: int) -> dict[str, Any]:
    """Articles sharing the most distinctive words of one article (more_like_this on its text)."""
    language = source.get("language") or ""
    fields = ["title", "body"]
    if source.get("text_by_language", {}).get(language):
        fields += [f"text_by_language.{language}.title", f"text_by_language.{language}.body"]
    text = f"{source.get('title') or ''}\n{source.get('body') or ''}"[:20_000]
    return {
        "query": {"bool": {
            "must": [{"more_like_this": {"fields": fields, "like": [text], "min_term_freq": 1,
                                         "min_doc_freq": 1, "max_query_terms": 40,
                                         "minimum_should_match": "10%"}}],
            "must_not": [{"ids": {"values": [doc_id]}}],
        }},
        "size": size,
        "_source": HIT_SOURCE,
    }
