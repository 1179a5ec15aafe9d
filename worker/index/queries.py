"""Search and stats requests as plain data, and their responses as plain rows (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from worker.index.documents import entity_key_term

SEARCH_SOURCE = [
    "title", "url", "origins", "language", "published_at", "fetched_at", "entities",
    "attributed_publication", "ner_status", "story_id", "near_duplicate_of", "version",
]


def parse_entity_filter(value: str) -> tuple[str, str]:
    """'PER:Vladimir Putin' -> ('PER', 'Vladimir Putin'); the label is required."""
    label, sep, name = value.partition(":")
    if not sep or not label.strip() or not name.strip():
        raise ValueError(f"entity filter '{value}' is not LABEL:NAME (e.g. PER:Putin)")
    return label.strip().upper(), name.strip()


def search_body(
    query: str, *, entities: Sequence[str] = (), language: str | None = None, limit: int = 10
) -> dict[str, Any]:
    """Full-text over title and body, filtered by exact entities and language."""
    filters: list[dict[str, Any]] = []
    for value in entities:
        label, name = parse_entity_filter(value)
        filters.append({"term": {"entity_keys": entity_key_term(label, name)}})
    if language:
        filters.append({"term": {"language": language}})
    must: dict[str, Any] = (
        {"multi_match": {"query": query, "fields": ["title^2", "body", "entities.name"],
                         "operator": "and"}}
        if query.strip()
        else {"match_all": {}}
    )
    return {
        "query": {"bool": {"must": [must], "filter": filters}},
        "size": limit,
        "_source": SEARCH_SOURCE,
    }


def search_hits(response: dict[str, Any]) -> list[dict[str, Any]]:
    """Hits as the rows the CLI prints."""
    rows = []
    for hit in response["hits"]["hits"]:
        src = hit["_source"]
        origins = src.get("origins") or []
        rows.append(
            {
                "id": hit["_id"],
                "score": hit.get("_score"),
                "title": src.get("title"),
                "url": src.get("url"),
                "origin": origins[0]["location"] if origins else None,
                "language": src.get("language"),
                "origins": [o["location"] for o in origins],
                "published_at": src.get("published_at"),
                "story_id": src.get("story_id"),
                "near_duplicate_of": src.get("near_duplicate_of"),
                "version": src.get("version"),
                "entities": [
                    {"label": e["label"], "name": e["name"], "count": e["count"]}
                    for e in src.get("entities") or []
                ],
            }
        )
    return rows


STATS_AGGREGATIONS: dict[str, Any] = {
    "languages": {"terms": {"field": "language", "size": 100, "missing": "unknown"}},
    "sources": {"terms": {"field": "source_kind", "size": 20}},
    "origins": {"terms": {"field": "origins.location", "size": 50}},
    "entity_labels": {"terms": {"field": "entities.label", "size": 50}},
    "top_entities": {"terms": {"field": "entities.key", "size": 20}},
    "ner_status": {"terms": {"field": "ner_status", "size": 10}},
}


def buckets(response: dict[str, Any], name: str) -> dict[str, int]:
    """A terms aggregation as {key: doc_count}."""
    return {
        str(b["key"]): int(b["doc_count"])
        for b in response.get("aggregations", {}).get(name, {}).get("buckets", [])
    }
