"""The searches the CLI and the HTTP API offer, over any backend that runs a search body."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from worker.enrich.normalise import EntityTables, default_tables
from worker.enrich.pipelines import language_config
from worker.index.layout import IndexLayout, load_layout
from worker.search import query, results
from worker.search.entity_filter import entity_terms
from worker.search.request import SearchError, SearchRequest, Vocabulary, encode_cursor

# Articles sampled to learn the names the co-occurrence entity itself goes by.
_OWN_NAME_SAMPLE = 100
# Internal fields nobody reads in an article's document view.
_HIDDEN = ("minhash", "minhash_bands", "text_by_language", "mentions", "entity_keys")


class SearchBackend(Protocol):
    """Runs a search body against the articles alias (ElasticStore is one)."""

    def search(self, body: dict[str, Any]) -> dict[str, Any]: ...

    def get_many(self, ids: list[str]) -> dict[str, dict[str, Any]]: ...


def vocabulary_of(config_dir: Path, tables: EntityTables, layout: IndexLayout) -> Vocabulary:
    """Labels, languages and id namespaces the shipped configuration knows."""
    langs = language_config(config_dir)
    languages = {*(langs.get("detection_languages") or ()), *(langs.get("languages") or {}),
                 *layout.text_languages}
    namespaces = {entity_id.partition(":")[0] for entity_id in tables.entries} | {"country"}
    return Vocabulary(labels=layout.entity_labels, languages=tuple(sorted(languages)),
                      id_namespaces=tuple(sorted(namespaces)))


@dataclass
class SearchService:
    """Search, facets, co-occurrence, similar articles and one article, with checked input."""

    backend: SearchBackend
    tables: EntityTables
    vocabulary: Vocabulary

    @classmethod
    def from_config(cls, backend: SearchBackend, config_dir: Path) -> SearchService:
        """A service over the configured tables (read once per process)."""
        tables = default_tables(config_dir)
        return cls(backend, tables, vocabulary_of(config_dir, tables, load_layout(config_dir)))

    def search(self, request: SearchRequest) -> dict[str, Any]:
        """One page of hits, the total, and the cursor of the next page (None on the last)."""
        request = request.checked(self.vocabulary)
        started = time.perf_counter()
        response = self.backend.search(query.search_body(request, self.vocabulary, self.tables))
        hits = response["hits"]["hits"]
        more = len(hits) == request.size
        return {
            "total": int(response["hits"]["total"]["value"]),
            "took_ms": _took(response, started),
            "hits": [results.hit_row(h) for h in hits],
            "next": encode_cursor(hits[-1]["sort"]) if more and hits else None,
        }

    def facets(self, request: SearchRequest, *, size: int = 10,
               interval: str = "day") -> dict[str, Any]:
        """Counts per entity, language, origin, site, publication and date for a request."""
        request = request.checked(self.vocabulary)
        if interval not in ("day", "week", "month", "year"):
            raise SearchError(f"unknown interval '{interval}'", ["day", "week", "month", "year"])
        started = time.perf_counter()
        body = {"query": query.bool_query(request, self.vocabulary, self.tables), "size": 0,
                "track_total_hits": True,
                "aggs": query.facet_aggregations(self.vocabulary, size=size, interval=interval,
                                                 request=request)}
        response = self.backend.search(body)
        return {**results.facets(response, self.vocabulary.labels),
                "took_ms": _took(response, started)}

    def cooccurring(self, entity: str, request: SearchRequest, *, size: int = 10,
                    significant: bool = False) -> dict[str, Any]:
        """Entities that appear in the articles mentioning ``entity``, per label."""
        request = request.checked(self.vocabulary)
        terms = set(entity_terms(entity, self.vocabulary, self.tables, request.languages))
        scoped = request.model_copy(update={"entities": [*request.entities, entity]})
        started = time.perf_counter()
        body = {"query": query.bool_query(scoped, self.vocabulary, self.tables),
                "size": _OWN_NAME_SAMPLE, "_source": ["entities", "language"],
                "track_total_hits": True,
                "aggs": query.cooccurrence_aggregations(self.vocabulary, size=size,
                                                        significant=significant)}
        response = self.backend.search(body)
        sample = [h["_source"] for h in response["hits"]["hits"]]
        excluded = results.own_names(sample, terms, self.tables)
        return {
            "entity": entity,
            "articles": int(response["hits"]["total"]["value"]),
            "measure": "significant_terms" if significant else "count",
            "took_ms": _took(response, started),
            "entities": results.cooccurring(response, self.vocabulary.labels, excluded, size),
        }

    def article(self, doc_id: str) -> dict[str, Any] | None:
        """One article's stored document, without the internal fields."""
        source = self.backend.get_many([doc_id]).get(doc_id)
        if source is None:
            return None
        return {k: v for k, v in source.items() if k not in _HIDDEN} | {"id": doc_id}

    def similar(self, doc_id: str, *, size: int = 10) -> dict[str, Any] | None:
        """Articles most like one article (more_like_this over its own text)."""
        source = self.backend.get_many([doc_id]).get(doc_id)
        if source is None:
            return None
        started = time.perf_counter()
        response = self.backend.search(query.similar_body(doc_id, source, size))
        return {"id": doc_id, "took_ms": _took(response, started),
                "hits": [results.hit_row(h) for h in response["hits"]["hits"]]}


def _took(response: dict[str, Any], started: float) -> dict[str, float]:
    """Elasticsearch's own time and the round trip, in milliseconds."""
    return {"elasticsearch": float(response.get("took", 0)),
            "round_trip": round((time.perf_counter() - started) * 1000, 1)}
