"""The command line: `python -m worker …` or `newsworker …`. Every data command has --json."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from worker.settings import PROJECT_ROOT, get_settings

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
dev_app = typer.Typer(no_args_is_help=True, help="The local stack without Docker.")
app.add_typer(dev_app, name="dev")
console = Console()
err = Console(stderr=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, default=str) + "\n")


def _fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}")
    return typer.Exit(code)


# -- dev stack -------------------------------------------------------------------------
@dev_app.command("up")
def dev_up(
    workers: Annotated[bool, typer.Option(help="Also start workers, beat and Flower.")] = True,
    as_json: JsonOpt = False,
) -> None:
    """Start Redis, Elasticsearch and the workers (idempotent)."""
    from worker.devstack.stack import DevStack, StackError

    stack = DevStack(get_settings())
    try:
        stack.up(workers=workers)
    except StackError as exc:
        raise _fail(str(exc)) from exc
    _show_status(stack.status(), as_json)


@dev_app.command("down")
def dev_down(as_json: JsonOpt = False) -> None:
    """Stop everything `dev up` started."""
    from worker.devstack.stack import DevStack

    stopped = DevStack(get_settings()).down()
    if as_json:
        _print_json({"stopped": stopped})
    else:
        console.print(f"stopped: {', '.join(stopped) or 'nothing was running'}")


@dev_app.command("status")
def dev_status(as_json: JsonOpt = False) -> None:
    """What runs where."""
    from worker.devstack.stack import DevStack

    _show_status(DevStack(get_settings()).status(), as_json)


def _show_status(rows: list[dict[str, object]], as_json: bool) -> None:
    if as_json:
        _print_json(rows)
        return
    table = Table("service", "running", "pid", "address", "log")
    for row in rows:
        table.add_row(str(row["name"]), "yes" if row["running"] else "[red]no[/red]",
                      str(row["pid"]), str(row.get("url") or ""), str(row["log"]))
    console.print(table if rows else "nothing recorded; run `dev up`")


# -- ingest ----------------------------------------------------------------------------
@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Seed files or folders.")],
    wait: Annotated[bool, typer.Option(help="Block until every article is done.")] = False,
    timeout: Annotated[float, typer.Option(help="Seconds --wait waits at most.")] = 600.0,
    dry_run: Annotated[bool, typer.Option(help="Parse locally, print records.")] = False,
    enrich: Annotated[bool, typer.Option(help="With --dry-run: add NLP.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Queue seed files for ingestion (or, with --dry-run, show what would be indexed)."""
    if dry_run:
        _dry_run(paths, enrich)
        return
    _job_id, summary = _ingest(paths, wait, timeout)
    if as_json:
        _print_json(summary)
    else:
        _print_summary(summary)
    if wait and not summary["done"]:
        raise typer.Exit(2)


def _ingest(paths: list[Path], wait: bool, timeout: float) -> tuple[str, dict[str, Any]]:
    import redis

    from worker.pipeline.messages import SourceItem
    from worker.pipeline.submit import new_job_id, source_items, submit
    from worker.queue.ledger import JobLedger
    from worker.queue.names import FETCH_QUEUE
    from worker.queue.tasks import parse_source

    settings = get_settings()
    ledger = JobLedger(redis.Redis.from_url(settings.redis_url))
    job_id = new_job_id()
    try:
        items = source_items(paths, job_id, settings)
    except FileNotFoundError as exc:
        raise _fail(str(exc)) from exc
    def send(item: SourceItem) -> None:
        parse_source.apply_async(args=(item.model_dump(mode="json"),), queue=FETCH_QUEUE)

    submit(items, job_id, ledger, send)
    summary = ledger.summary(job_id)
    deadline = time.monotonic() + timeout
    while wait and not summary.done and time.monotonic() < deadline:
        time.sleep(0.25)
        summary = ledger.summary(job_id)
    if wait and summary.done:
        from worker.index.store import ElasticStore

        ElasticStore(settings).refresh()
    return job_id, summary.as_dict()


def _print_summary(summary: dict[str, Any]) -> None:
    state = "done" if summary["done"] else "queued (not finished)"
    console.print(
        f"job [bold]{summary['job_id']}[/bold]: {summary['sources']} files, "
        f"{summary['submitted']} submitted, {summary['indexed']} indexed, "
        f"{summary['updated']} updated, "
        f"{summary['duplicates']} duplicates, {summary['quarantined']} quarantined — {state}"
    )


def _dry_run(paths: list[Path], enrich: bool) -> None:
    from worker.errors import QuarantineError
    from worker.pipeline.stages import parse_source
    from worker.pipeline.submit import source_items

    settings = get_settings()
    try:
        items = source_items(paths, "dry-run", settings)
    except FileNotFoundError as exc:
        raise _fail(str(exc)) from exc
    for item in items:
        try:
            envelopes = parse_source(item, settings)
        except QuarantineError as exc:
            _print_json({"error": str(exc), "reason_code": exc.reason_code,
                         "origin": item.origin.location})
            continue
        for env in envelopes:
            article = env.article
            if enrich:
                from worker.enrich.annotate import enrich_article

                article = enrich_article(article)
            _print_json(article.model_dump(mode="json"))


@app.command()
def job(job_id: str, as_json: JsonOpt = False) -> None:
    """Counts of an ingest job."""
    import redis

    from worker.queue.ledger import JobLedger

    ledger = JobLedger(redis.Redis.from_url(get_settings().redis_url))
    if not ledger.exists(job_id):
        raise _fail(f"no job {job_id}")
    summary = ledger.summary(job_id).as_dict()
    _print_json(summary) if as_json else _print_summary(summary)


# -- NLP -------------------------------------------------------------------------------
@app.command()
def annotate(
    file: Annotated[str, typer.Argument(help="Text file, or - for stdin.")] = "-",
    lang: Annotated[str | None, typer.Option("--lang", help="Skip detection.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Language and entities of raw text (offsets index into the text as given)."""
    from worker.enrich.annotate import annotate_text

    text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
    result = annotate_text(text, lang)
    data = {
        "language": result.language.language,
        "language_confidence": result.language.confidence,
        "language_reliable": result.language.reliable,
        "ner_status": result.ner_status,
        "model": "/".join(result.model) if result.model else None,
        "chars_analysed": result.chars_analysed,
        "entities": [m.model_dump() for m in result.mentions],
        "merged": [e.model_dump() for e in result.entities],
    }
    if as_json:
        _print_json(data)
        return
    console.print(f"language: {data['language']} ({data['language_confidence']}), "
                  f"ner: {data['ner_status']}")
    _entity_table(result.entities)


def _entity_table(entities: list[Any]) -> None:
    table = Table("label", "entity", "mentions", "surface forms")
    for e in entities:
        table.add_row(e.label, e.name, str(e.count), ", ".join(e.surface_forms))
    console.print(table)


@app.command("train-ner")
def train_ner(
    data: Annotated[Path, typer.Option(help="Folder with nergrit-*.tsv and nerp-*.tsv.")],
    output: Annotated[Path, typer.Option(help="Where the model is written.")] = (
        PROJECT_ROOT / "worker" / "models" / "id_news_ner"
    ),
) -> None:
    """Train the Indonesian NER model from a data folder (train splits; valid for selection)."""
    from worker.enrich.ner_training import train_indonesian_ner

    report = train_indonesian_ner(data, output)
    _print_json(report)


# -- search and stats --------------------------------------------------------------------
@app.command()
def search(
    query: Annotated[str, typer.Argument(help="Words to find in title and body ('' for all).")],
    entity: Annotated[list[str] | None, typer.Option(help="LABEL:NAME, repeatable.")] = None,
    lang: Annotated[str | None, typer.Option("--lang")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 10,
    as_json: JsonOpt = False,
) -> None:
    """Search indexed articles by text, entity and language."""
    from worker.index.queries import search_body, search_hits
    from worker.index.store import ElasticStore

    try:
        body = search_body(query, entities=entity or [], language=lang, limit=limit)
    except ValueError as exc:
        raise _fail(str(exc)) from exc
    hits = search_hits(ElasticStore(get_settings()).search(body))
    if as_json:
        _print_json(hits)
        return
    _hits_table(hits)


def _hits_table(hits: list[dict[str, Any]]) -> None:
    table = Table("score", "lang", "title", "origin", "entities")
    for h in hits:
        ents = ", ".join(f"{e['label']}:{e['name']}" for e in h["entities"][:6])
        table.add_row(f"{h['score'] or 0:.2f}", str(h["language"]), str(h["title"]),
                      str(h["url"] or h["origin"]), ents)
    console.print(table if hits else "no hits")


@app.command()
def stats(as_json: JsonOpt = False) -> None:
    """Counts per language, source, entity label; queue depths; quarantine size."""
    data = _stats()
    if as_json:
        _print_json(data)
        return
    for section, counts in data.items():
        console.print(f"[bold]{section}[/bold]: {counts}")


def _stats() -> dict[str, Any]:
    import redis

    from worker.index.queries import STATS_AGGREGATIONS, buckets
    from worker.index.store import ElasticStore
    from worker.queue.names import QUEUES

    settings = get_settings()
    store = ElasticStore(settings)
    response = store.aggregate(STATS_AGGREGATIONS)
    r = redis.Redis.from_url(settings.redis_url)
    return {
        "articles": int(response["hits"]["total"]["value"]),
        "quarantined": store.count(settings.quarantine_index),
        "languages": buckets(response, "languages"),
        "sources": buckets(response, "sources"),
        "origins": buckets(response, "origins"),
        "entity_labels": buckets(response, "entity_labels"),
        "top_entities": buckets(response, "top_entities"),
        "ner_status": buckets(response, "ner_status"),
        "queues": {q: int(r.llen(q)) for q in QUEUES},
    }


@app.command()
def quarantine(
    job_id: Annotated[str | None, typer.Option("--job", help="Only this job.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    as_json: JsonOpt = False,
) -> None:
    """What was refused, and why (raw input is kept in the quarantine index)."""
    from worker.index.store import ElasticStore

    entries = ElasticStore(get_settings()).quarantined(job_id=job_id, size=limit)
    if as_json:
        _print_json(entries)
        return
    table = Table("when", "stage", "reason", "origin")
    for e in entries:
        table.add_row(str(e["quarantined_at"]), e["stage"], e["reason"], e["origin"]["location"])
    console.print(table if entries else "quarantine is empty")


# -- the main job ------------------------------------------------------------------------
@app.command()
def demo(
    paths: Annotated[list[Path] | None, typer.Argument(help="Seeds (default: seeds/).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Start the stack, ingest the seeds, and show what was found and that search finds it."""
    from worker.devstack.stack import DevStack, StackError
    from worker.index.store import ElasticStore
    from worker.pipeline.stages import parse_source
    from worker.pipeline.submit import source_items

    settings = get_settings()
    seeds = paths or [PROJECT_ROOT / "seeds"]
    err.print("starting the dev stack (Redis, Elasticsearch, workers)…")
    try:
        DevStack(settings).up()
    except StackError as exc:
        raise _fail(str(exc)) from exc
    get_settings.cache_clear()  # dev up may have written new addresses
    settings = get_settings()
    err.print(f"ingesting {', '.join(map(str, seeds))}…")
    _job_id, summary = _ingest(seeds, wait=True, timeout=600)
    ids: list[str] = []
    for item in source_items(seeds, "demo", settings):
        try:
            ids += [env.article.id for env in parse_source(item, settings)]
        except Exception:
            continue
    store = ElasticStore(settings)
    docs = store.get_many(ids)
    searches = []
    from worker.index.queries import search_body, search_hits

    for doc_id, doc in docs.items():
        people = [e for e in doc["entities"] if e["label"] == "PER"] or doc["entities"]
        word = max(doc["title"].split() or [""], key=len)
        filters = [f"{people[0]['label']}:{people[0]['name']}"] if people else []
        hits = search_hits(store.search(search_body(word, entities=filters, limit=5)))
        searches.append({"article": doc_id, "query": word, "entities": filters,
                         "found": any(h["id"] == doc_id for h in hits), "hits": len(hits)})
    if as_json:
        _print_json({"summary": summary, "articles": docs, "searches": searches})
        return
    _print_summary(summary)
    for doc_id, doc in docs.items():
        console.rule(f"[bold]{doc['title']}")
        console.print(f"id {doc_id} · language {doc['language']} "
                      f"({doc['language_confidence']}) · {doc['word_count']} words · "
                      f"publication: {doc.get('attributed_publication') or '-'}")
        table = Table("label", "entity", "mentions", "surface forms")
        for e in doc["entities"]:
            table.add_row(e["label"], e["name"], str(e["count"]), ", ".join(e["surface_forms"]))
        console.print(table)
    for s in searches:
        console.print(
            f"search {s['query']!r} {' '.join('--entity ' + e for e in s['entities'])}: "
            f"{'found' if s['found'] else '[red]NOT found[/red]'} ({s['hits']} hits)"
        )


def main() -> None:
    """Console-script entry point."""
    app()
