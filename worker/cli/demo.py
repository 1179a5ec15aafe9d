"""`demo`: the main job — start the stack, ingest the seeds, show what was found."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from worker.cli import services
from worker.cli.ingest import run_ingest
from worker.cli.output import JsonOpt, console, entity_table, err, fail, print_json, print_summary
from worker.devstack.stack import DevStack, StackError
from worker.jobs.submit import seed_article_ids
from worker.search.request import SearchRequest
from worker.search.service import SearchService
from worker.settings import PROJECT_ROOT, get_settings
from worker.sources.discover import SeedPathError, seed_paths


def demo(
    paths: Annotated[list[str] | None, typer.Argument(help="Seeds (default: seeds/).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Start the stack, ingest the seeds, and show what was found and that search finds it."""
    try:  # refused before the stack is started for nothing
        seeds = seed_paths(paths or [str(PROJECT_ROOT / "seeds")])
    except SeedPathError as exc:
        raise fail(str(exc)) from exc
    err.print("starting the dev stack (Redis, Elasticsearch, workers)…")
    try:
        DevStack(get_settings()).up()
    except StackError as exc:
        raise fail(str(exc)) from exc
    get_settings.cache_clear()  # dev up may have written new addresses
    err.print(f"ingesting {', '.join(map(str, seeds))}…")
    summary = run_ingest([str(s) for s in seeds], wait=True, timeout=600)
    store = services.store()
    docs = store.get_many(seed_article_ids(seeds, get_settings()))
    search = SearchService.from_config(store, get_settings().config_dir)
    searches = [search_for(search, doc_id, doc) for doc_id, doc in docs.items()]
    if as_json:
        print_json({"summary": summary, "articles": docs, "searches": searches})
        return
    print_summary(summary)
    for doc_id, doc in docs.items():
        console.rule(f"[bold]{doc['title']}")
        console.print(f"id {doc_id} · language {doc['language']} "
                      f"({doc['language_confidence']}) · {doc['word_count']} words · "
                      f"publication: {doc.get('attributed_publication') or '-'}")
        console.print(entity_table([(e["label"], e["name"], e["count"], e["surface_forms"])
                                    for e in doc["entities"]]))
    for s in searches:
        console.print(
            f"search {s['query']!r} {' '.join('--entity ' + e for e in s['entities'])}: "
            f"{'found' if s['found'] else '[red]NOT found[/red]'} ({s['hits']} hits)"
        )


def search_for(search: SearchService, doc_id: str, doc: dict[str, Any]) -> dict[str, Any]:
    """Search for a document by its longest title word and its first person (or entity)."""
    people = [e for e in doc["entities"] if e["label"] == "PER"] or doc["entities"]
    word = max(doc["title"].split() or [""], key=len)
    filters = [f"{people[0]['label']}:{people[0]['name']}"] if people else []
    hits = search.search(SearchRequest(q=word, entities=filters, size=5))["hits"]
    return {"article": doc_id, "query": word, "entities": filters,
            "found": any(h["id"] == doc_id for h in hits), "hits": len(hits)}
