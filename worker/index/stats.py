"""The `stats` aggregations and their responses as plain counts (pure)."""

from __future__ import annotations

from typing import Any

STATS_AGGREGATIONS: dict[str, Any] = {
    "languages": {"terms": {"field": "language", "size": 100, "missing": "unknown"}},
    "sources": {"terms": {"field": "source_kind", "size": 20}},
    "origins": {"terms": {"field": "origins.location", "size": 10}},
    "distinct_origins": {"cardinality": {"field": "origins.location"}},
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


def distinct(response: dict[str, Any], name: str) -> int:
    """A cardinality aggregation's (approximate above 3,000) value."""
    return int(response.get("aggregations", {}).get(name, {}).get("value", 0))
