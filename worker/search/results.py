"""Elasticsearch responses as the rows and counts people read (pure)."""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import Any

from worker.enrich.normalise import EntityTables, search_names
from worker.index.documents import entity_key_term
from worker.record import Entity

_SNIPPET_CHARS = 240


def hit_row(hit: dict[str, Any]) -> dict[str, Any]:
    """One hit: what a result list shows, with highlighted title and snippets."""
    src = hit["_source"]
    marks = hit.get("highlight") or {}
    language = src.get("language") or ""
    origins = src.get("origins") or []

    def marked(field: str) -> list[str]:
        for name in (f"text_by_language.{language}.{field}", field, f"{field}.folded"):
            if marks.get(name):
                return list(marks[name])
        return []

    title_marks = marked("title")
    snippets = marked("body")
    if not snippets and src.get("summary"):
        snippets = [html.escape(str(src["summary"])[:_SNIPPET_CHARS])]  # escaped like marks
    return {
        "id": hit["_id"],
        "score": hit.get("_score"),
        "title": src.get("title"),
        "title_highlighted": title_marks[0] if title_marks else None,
        "snippets": snippets,
        "url": src.get("url"),
        "site": src.get("site"),
        "origin": origins[0]["location"] if origins else None,
        "origins": [o["location"] for o in origins],
        "language": src.get("language"),
        "published_at": src.get("published_at"),
        "date": src.get("published_or_fetched_at"),
        "publication": src.get("attributed_publication"),
        "story_id": src.get("story_id"),
        "near_duplicate_of": src.get("near_duplicate_of"),
        "version": src.get("version"),
        "keywords": src.get("keywords") or [],
        "entities": [
            {"label": e["label"], "name": e["name"], "count": e["count"],
             "id": e.get("canonical_id")}
            for e in src.get("entities") or []
        ],
    }


def buckets(response: dict[str, Any], name: str) -> list[dict[str, Any]]:
    """A terms or histogram aggregation as [{value, count}], in Elasticsearch's order."""
    agg = response.get("aggregations", {}).get(name, {})
    return [
        {"value": b.get("key_as_string", b["key"]), "count": int(b["doc_count"]),
         **({"score": round(float(b["score"]), 4)} if "score" in b else {})}
        for b in agg.get("buckets", [])
    ]


def facets(response: dict[str, Any], labels: Iterable[str]) -> dict[str, Any]:
    """Counts for the filters a page offers, for the articles the request matched."""
    agg_names = ("languages", "source_kinds", "origins", "sites", "publications", "per_day")
    return {
        "total": int(response["hits"]["total"]["value"]),
        "entities": {label: buckets(response, f"entities.{label}") for label in labels},
        **{name: buckets(response, name) for name in agg_names},
    }


def own_names(sample: list[dict[str, Any]], terms: set[str],
              tables: EntityTables) -> dict[str, set[str]]:
    """Per label, the names the filtered entity itself has in the sampled articles."""
    names: dict[str, set[str]] = {}
    for src in sample:
        for raw in src.get("entities") or []:
            entity = Entity.model_validate(raw)
            keys = {entity_key_term(label, name) for label, name in
                    search_names(entity, src.get("language"), tables=tables)}
            if entity.canonical_id:
                keys.add(entity.canonical_id)
            if keys & terms:
                names.setdefault(entity.label, set()).add(entity.name)
    return names


def cooccurring(response: dict[str, Any], labels: Iterable[str], excluded: dict[str, set[str]],
                size: int) -> dict[str, list[dict[str, Any]]]:
    """Entities beside X per label, without X itself."""
    return {
        label: [b for b in buckets(response, f"entities.{label}")
                if b["value"] not in excluded.get(label, set())][:size]
        for label in labels
    }
