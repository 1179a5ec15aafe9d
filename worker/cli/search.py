"""`search` and `stats`: what the index holds."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from worker.cli import services
from worker.cli.output import JsonOpt, console, fail, print_json
from worker.index.queries import STATS_AGGREGATIONS, buckets, search_body, search_hits
from worker.queue.names import QUEUES
from worker.settings import get_settings


def search(
    query: Annotated[str, typer.Argument(help="Words to find in title and body ('' for all).")],
    entity: Annotated[list[str] | None, typer.Option(help="LABEL:NAME, repeatable.")] = None,
    lang: Annotated[str | None, typer.Option("--lang")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 10,
    as_json: JsonOpt = False,
) -> None:
    """Search indexed articles by text, entity and language."""
    try:
        body = search_body(query, entities=entity or [], language=lang, limit=limit)
    except ValueError as exc:
        raise fail(str(exc)) from exc
    hits = search_hits(services.store().search(body))
    if as_json:
        print_json(hits)
        return
    table = Table("score", "lang", "title", "origin", "entities")
    for h in hits:
        ents = ", ".join(f"{e['label']}:{e['name']}" for e in h["entities"][:6])
        table.add_row(f"{h['score'] or 0:.2f}", str(h["language"]), str(h["title"]),
                      str(h["url"] or h["origin"]), ents)
    console.print(table if hits else "no hits")


def stats(as_json: JsonOpt = False) -> None:
    """Counts per language, source, entity label; queue depths; quarantine size."""
    data = collect_stats()
    if as_json:
        print_json(data)
        return
    console.print(f"[bold]{data['articles']}[/bold] articles, "
                  f"[bold]{data['quarantined']}[/bold] quarantined")
    for section, counts in data.items():
        if isinstance(counts, dict):
            table = Table(section, "count", title=None)
            for key, count in sorted(counts.items(), key=lambda kv: -kv[1]):
                table.add_row(str(key), str(count))
            console.print(table)


def collect_stats() -> dict[str, Any]:
    """The figures `stats` shows."""
    settings = get_settings()
    store = services.store()
    response = store.aggregate(STATS_AGGREGATIONS)
    broker = services.ledger().r
    return {
        "articles": int(response["hits"]["total"]["value"]),
        "quarantined": store.count(settings.quarantine_index),
        "languages": buckets(response, "languages"),
        "sources": buckets(response, "sources"),
        "origins": buckets(response, "origins"),
        "entity_labels": buckets(response, "entity_labels"),
        "top_entities": buckets(response, "top_entities"),
        "ner_status": buckets(response, "ner_status"),
        "queues": {q: int(broker.llen(q)) for q in QUEUES},
    }
