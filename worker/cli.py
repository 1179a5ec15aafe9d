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
feeds_app = typer.Typer(no_args_is_help=True, help="The feeds beat polls, and their health.")
app.add_typer(feeds_app, name="feeds")
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
    targets: Annotated[list[str], typer.Argument(help="Seed files, folders, or feed URLs.")],
    wait: Annotated[bool, typer.Option(help="Block until every article is done.")] = False,
    timeout: Annotated[float, typer.Option(help="Seconds --wait waits at most.")] = 600.0,
    dry_run: Annotated[bool, typer.Option(help="Parse locally, print records.")] = False,
    enrich: Annotated[bool, typer.Option(help="With --dry-run: add NLP.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Queue seed files for ingestion (or, with --dry-run, show what would be indexed)."""
    if dry_run:
        _dry_run([Path(t) for t in targets if not _is_url(t)], enrich)
        return
    _job_id, summary = _ingest(targets, wait, timeout)
    if as_json:
        _print_json(summary)
    else:
        _print_summary(summary)
    if wait and not summary["done"]:
        raise typer.Exit(2)


def _is_url(target: str) -> bool:
    return target.startswith(("http://", "https://"))


def _ingest(targets: list[str], wait: bool, timeout: float) -> tuple[str, dict[str, Any]]:
    import redis

    from worker.feeds.registry import FeedConfig, feed_id
    from worker.pipeline.messages import SourceItem
    from worker.pipeline.submit import new_job_id, source_items, submit
    from worker.queue.ledger import JobLedger
    from worker.queue.names import FETCH_QUEUE
    from worker.queue.tasks import feed_source_key, parse_source, send_feed_poll

    settings = get_settings()
    ledger = JobLedger(redis.Redis.from_url(settings.redis_url))
    job_id = new_job_id()
    try:
        items = source_items([Path(t) for t in targets if not _is_url(t)], job_id, settings)
    except FileNotFoundError as exc:
        raise _fail(str(exc)) from exc
    registered = _registry().feeds() if any(_is_url(t) for t in targets) else {}
    feeds = [registered.get(feed_id(t)) or FeedConfig(url=t, added_by="cli")
             for t in targets if _is_url(t)]

    def send(item: SourceItem) -> None:
        parse_source.apply_async(args=(item.model_dump(mode="json"),), queue=FETCH_QUEUE)

    submit(items, job_id, ledger, send, extra_sources=[feed_source_key(job_id, f) for f in feeds])
    for cfg in feeds:
        send_feed_poll(cfg, job_id, feed_source_key(job_id, cfg))
    return job_id, _wait_for(job_id, wait, timeout)


def _wait_for(job_id: str, wait: bool, timeout: float) -> dict[str, Any]:
    """The job's summary, after waiting (if asked) until nothing of it is queued."""
    import redis

    from worker.index.store import ElasticStore
    from worker.queue.ledger import JobLedger

    settings = get_settings()
    ledger = JobLedger(redis.Redis.from_url(settings.redis_url))
    summary = ledger.summary(job_id)
    deadline = time.monotonic() + timeout
    while wait and not summary.done and time.monotonic() < deadline:
        time.sleep(0.25)
        summary = ledger.summary(job_id)
    if wait and summary.done:
        ElasticStore(settings).refresh()
    return summary.as_dict()


def _print_summary(summary: dict[str, Any]) -> None:
    state = "done" if summary["done"] else "queued (not finished)"
    console.print(
        f"job [bold]{summary['job_id']}[/bold]: {summary['sources']} sources, "
        f"{summary['submitted']} submitted, {summary['indexed']} indexed, "
        f"{summary['updated']} updated, "
        f"{summary['duplicates']} duplicates, {summary['quarantined']} quarantined — {state}"
    )
    for error in summary.get("errors") or []:
        console.print(f"[yellow]source error:[/yellow] {error}")


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
            envelopes, errors = parse_source(item, settings)
        except QuarantineError as exc:
            _print_json({"error": str(exc), "reason_code": exc.reason_code,
                         "origin": item.origin.location})
            continue
        for error in errors:
            _print_json({"error": error.reason, "reason_code": error.reason_code,
                         "origin": item.origin.location, "record": error.location})
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
    seed: Annotated[int | None, typer.Option(help="Default: the shipped model's seed.")] = None,
) -> None:
    """Train the Indonesian NER model from a data folder (train splits; valid for selection)."""
    from worker.enrich.ner_training import SHIPPED_SEED, train_indonesian_ner

    report = train_indonesian_ner(data, output, seed=SHIPPED_SEED if seed is None else seed)
    _print_json(report)


@app.command()
def reenrich(
    stale: Annotated[bool, typer.Option("--stale", help="Only documents a newer model or "
                                        "rule table would change.")] = False,
    limit: Annotated[int | None, typer.Option(min=1)] = None,
    dry_run: Annotated[bool, typer.Option(help="Count, queue nothing.")] = False,
    wait: Annotated[bool, typer.Option(help="Block until done.")] = False,
    timeout: Annotated[float, typer.Option()] = 3600.0,
    as_json: JsonOpt = False,
) -> None:
    """Run NLP again on indexed documents, from their stored text (nothing is refetched)."""
    import redis

    from worker.index.store import ElasticStore
    from worker.pipeline.messages import ArticleEnvelope
    from worker.pipeline.reenrich import stale_articles
    from worker.pipeline.stages import batches
    from worker.pipeline.submit import new_job_id
    from worker.queue.ledger import JobLedger
    from worker.queue.tasks import _send_to_nlp

    if not stale:
        raise _fail("say which documents: --stale (documents a newer model or rule would change)")
    settings = get_settings()
    store = ElasticStore(settings)
    articles = list(stale_articles(store, limit=limit))
    if dry_run:
        _print_json({"stale": len(articles)}) if as_json else console.print(
            f"{len(articles)} stale documents")
        return
    ledger = JobLedger(redis.Redis.from_url(settings.redis_url))
    job_id = f"reenrich-{new_job_id()}"
    source_key = f"{job_id}:index"
    ledger.open_job(job_id, [source_key])
    envelopes = [ArticleEnvelope(job_id=job_id, ledger_key=f"{source_key}#{n}", article=a)
                 for n, a in enumerate(articles)]
    ledger.register_articles(job_id, source_key, [e.ledger_key for e in envelopes])
    for batch in batches(envelopes, settings.batch_size):
        _send_to_nlp(batch)
    summary = _wait_for(job_id, wait, timeout)
    _print_json(summary) if as_json else _print_summary(summary)


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
    console.print(f"[bold]{data['articles']}[/bold] articles, "
                  f"[bold]{data['quarantined']}[/bold] quarantined")
    for section, counts in data.items():
        if isinstance(counts, dict):
            table = Table(section, "count", title=None)
            for key, count in sorted(counts.items(), key=lambda kv: -kv[1]):
                table.add_row(str(key), str(count))
            console.print(table)


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


# -- feeds -------------------------------------------------------------------------------
def _registry() -> Any:
    import redis

    from worker.feeds.registry import FeedRegistry

    settings = get_settings()
    return FeedRegistry(redis.Redis.from_url(settings.redis_url), settings.feeds_file)


def _find_feed(registry: Any, id_or_url: str) -> Any:
    from worker.feeds.registry import feed_id

    feeds = registry.feeds()
    cfg = feeds.get(id_or_url) or feeds.get(feed_id(id_or_url))
    if cfg is None:
        raise _fail(f"no feed {id_or_url}; see `feeds list`")
    return cfg


@feeds_app.command("add")
def feeds_add(
    url: str,
    name: Annotated[str, typer.Option(help="Display name.")] = "",
    language: Annotated[str | None, typer.Option(help="Language hint (ISO 639-1).")] = None,
    interval: Annotated[int, typer.Option(help="Base poll interval, minutes.", min=1)] = 15,
    fulltext: Annotated[str, typer.Option(help="auto | always | never")] = "auto",
    as_json: JsonOpt = False,
) -> None:
    """Register a feed for polling (kept in Redis beside config/feeds.yaml)."""
    from pydantic import ValidationError

    from worker.feeds.registry import FeedConfig, describe

    if not _is_url(url):
        raise _fail(f"{url} is not an http(s) URL")
    try:
        cfg = FeedConfig(url=url, name=name, language=language, interval_minutes=interval,
                         fulltext=fulltext)
    except ValidationError as exc:
        raise _fail(str(exc)) from exc
    registry = _registry()
    cfg = registry.add(cfg)
    row = describe(cfg, registry.state(cfg.feed_id))
    _print_json(row) if as_json else console.print(f"added feed {row['id']}: {url}")


@feeds_app.command("remove")
def feeds_remove(id_or_url: str) -> None:
    """Forget a feed added with `feeds add` (config feeds live in config/feeds.yaml)."""
    registry = _registry()
    cfg = _find_feed(registry, id_or_url)
    if cfg.added_by == "config":
        raise _fail(f"{cfg.url} comes from {get_settings().feeds_file}; remove it there")
    registry.remove(cfg.feed_id)
    console.print(f"removed feed {cfg.feed_id}")


@feeds_app.command("list")
def feeds_list(as_json: JsonOpt = False) -> None:
    """Every feed with its health: status, errors, last success, next poll."""
    from worker.feeds.registry import describe

    registry = _registry()
    rows = [describe(cfg, registry.state(fid)) for fid, cfg in registry.feeds().items()]
    if as_json:
        _print_json(rows)
        return
    table = Table("id", "status", "errors", "last success", "next poll", "url", "last error")
    for r in rows:
        color = {"failing": "red", "new": "yellow"}.get(str(r["status"]), "green")
        table.add_row(str(r["id"]), f"[{color}]{r['status']}[/{color}]",
                      str(r["consecutive_errors"]), str(r["last_success_at"] or "-"),
                      str(r["next_poll_at"] or "now"), str(r["url"]), str(r["last_error"] or ""))
    console.print(table)


@feeds_app.command("show")
def feeds_show(id_or_url: str, as_json: JsonOpt = False) -> None:
    """One feed's configuration and state."""
    from worker.feeds.registry import describe

    registry = _registry()
    cfg = _find_feed(registry, id_or_url)
    row = describe(cfg, registry.state(cfg.feed_id))
    if as_json:
        _print_json(row)
        return
    for key, value in row.items():
        console.print(f"{key}: {value}")


@feeds_app.command("poll")
def feeds_poll(
    id_or_url: str,
    wait: Annotated[bool, typer.Option(help="Block until its articles are done.")] = False,
    timeout: Annotated[float, typer.Option()] = 600.0,
    as_json: JsonOpt = False,
) -> None:
    """Poll a registered feed now, whatever its schedule."""
    cfg = _find_feed(_registry(), id_or_url)
    _job_id, summary = _ingest([cfg.url], wait, timeout)
    _print_json(summary) if as_json else _print_summary(summary)


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
    _job_id, summary = _ingest([str(s) for s in seeds], wait=True, timeout=600)
    ids: list[str] = []
    for item in source_items(seeds, "demo", settings):
        try:
            ids += [env.article.id for env in parse_source(item, settings)[0]]
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
    from worker.logs import configure_logging

    configure_logging(get_settings().log_level)
    app()
