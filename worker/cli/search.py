"""`search`, `facets`, `cooccur`, `similar`, `show` and `stats`: what the index holds."""

from __future__ import annotations

import html
import re
from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from worker.cli import services
from worker.cli.output import JsonOpt, console, fail, print_json
from worker.cli.service_errors import service_error_message
from worker.errors import TransientError
from worker.index.stats import STATS_AGGREGATIONS, buckets, distinct
from worker.queue.depth import queue_depths
from worker.queue.names import QUEUES
from worker.search.request import SearchError, SearchRequest
from worker.search.service import SearchService
from worker.settings import get_settings

WAITING_SHOWN = 5

Entities = Annotated[list[str] | None, typer.Option(
    "--entity", help="NAME, LABEL:NAME or an id (country:SY); repeatable, all must match.")]
Labels = Annotated[list[str] | None, typer.Option("--label", help="Has an entity of LABEL.")]
Langs = Annotated[list[str] | None, typer.Option("--lang", help="Language code; repeatable.")]
Origins = Annotated[list[str] | None, typer.Option("--origin", help="Seed path/folder or URL.")]
Feeds = Annotated[list[str] | None, typer.Option("--feed", help="Feed URL.")]
Pubs = Annotated[list[str] | None, typer.Option("--publication")]
Sites = Annotated[list[str] | None, typer.Option("--site", help="Host, e.g. example.org.")]
From = Annotated[str | None, typer.Option("--from", help="YYYY-MM-DD or ISO datetime.")]
To = Annotated[str | None, typer.Option("--to", help="YYYY-MM-DD or ISO datetime.")]


def _request(query: str = "", *, entity: list[str] | None = None, label: list[str] | None = None,
             lang: list[str] | None = None, origin: list[str] | None = None,
             feed: list[str] | None = None, publication: list[str] | None = None,
             site: list[str] | None = None, date_from: str | None = None,
             date_to: str | None = None, **extra: Any) -> SearchRequest:
    """Options as a request; bad values end the command with the reason."""
    try:
        return SearchRequest.of(
            q=query, entities=entity or [], labels=label or [], languages=lang or [],
            origins=origin or [], feeds=feed or [], publications=publication or [],
            sites=site or [], date_from=date_from or None, date_to=date_to or None, **extra)
    except SearchError as exc:
        raise fail(str(exc)) from None


def _service() -> SearchService:
    return SearchService.from_config(services.store(), get_settings().config_dir)


def _run(call: Any) -> Any:
    """Run a search; input errors and an unreachable index become one-line errors."""
    try:
        return call()
    except SearchError as exc:
        raise fail(str(exc)) from None
    except TransientError as exc:
        raise fail(service_error_message(exc, get_settings()) or str(exc)) from None


def search(
    query: Annotated[str, typer.Argument(help="Words to find ('' for all): \"quoted phrase\", "
                                              "-exclude, a | b.")] = "",
    entity: Entities = None, label: Labels = None, lang: Langs = None, origin: Origins = None,
    feed: Feeds = None, publication: Pubs = None, site: Sites = None,
    date_from: From = None, date_to: To = None,
    sort: Annotated[str, typer.Option(help="relevance, newest or oldest.")] = "relevance",
    limit: Annotated[int, typer.Option(min=1, max=100)] = 10,
    after: Annotated[str | None, typer.Option(help="The `next` cursor of the last page.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Search articles by words (every language's stemming), entity, language, origin, date."""
    request = _request(query, entity=entity, label=label, lang=lang, origin=origin, feed=feed,
                       publication=publication, site=site, date_from=date_from,
                       date_to=date_to, sort=sort, size=limit, after=after)
    page = _run(lambda: _service().search(request))
    if as_json:
        print_json(page)
        return
    table = Table("score", "lang", "date", "title", "entities")
    for h in page["hits"]:
        ents = Text(", ".join(f"{e['label']}:{e['name']}" for e in h["entities"][:5]))
        title = marked(h["title_highlighted"] or html.escape(h["title"] or ""))
        if h["snippets"]:
            title.append("\n").append(marked(h["snippets"][0], style="dim"))
        table.add_row(f"{h['score'] or 0:.2f}", str(h["language"]), _day(h["date"]), title,
                      ents)
    console.print(table if page["hits"] else "no hits")
    console.print(f"{page['total']} articles"
                  + (f"; next page: --after {page['next']}" if page["next"] else ""))


def facets(
    query: Annotated[str, typer.Argument(help="Words ('' for all).")] = "",
    entity: Entities = None, label: Labels = None, lang: Langs = None, origin: Origins = None,
    feed: Feeds = None, publication: Pubs = None, site: Sites = None,
    date_from: From = None, date_to: To = None,
    size: Annotated[int, typer.Option(min=1, max=100, help="Values per facet.")] = 10,
    interval: Annotated[str, typer.Option(help="day, week, month or year.")] = "day",
    as_json: JsonOpt = False,
) -> None:
    """Top entities per label, languages, origins, sites and articles per day for a search."""
    request = _request(query, entity=entity, label=label, lang=lang, origin=origin, feed=feed,
                       publication=publication, site=site, date_from=date_from, date_to=date_to)
    data = _run(lambda: _service().facets(request, size=size, interval=interval))
    if as_json:
        print_json(data)
        return
    console.print(f"[bold]{data['total']}[/bold] articles")
    sections = {f"entities {k}": v for k, v in data["entities"].items()}
    sections |= {k: data[k] for k in ("languages", "sites", "publications", "origins", "per_day")}
    for name, rows in sections.items():
        if rows:
            table = Table(name, "articles")
            for row in rows:
                table.add_row(Text(str(row["value"])), str(row["count"]))
            console.print(table)


def cooccur(
    entity_value: Annotated[str, typer.Argument(metavar="ENTITY",
                                                help="NAME, LABEL:NAME or an id.")],
    query: Annotated[str, typer.Option("--query", help="Only articles with these words.")] = "",
    lang: Langs = None, origin: Origins = None, date_from: From = None, date_to: To = None,
    size: Annotated[int, typer.Option(min=1, max=100)] = 10,
    significant: Annotated[bool, typer.Option(
        help="Rank by how much more often than in all articles (significant_terms).")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Entities that appear in the articles that mention ENTITY, per label."""
    request = _request(query, lang=lang, origin=origin, date_from=date_from, date_to=date_to)
    data = _run(lambda: _service().cooccurring(entity_value, request, size=size,
                                               significant=significant))
    if as_json:
        print_json(data)
        return
    console.print(Text(f"{data['articles']} articles mention {entity_value} ({data['measure']})"))
    for label, rows in data["entities"].items():
        if rows:
            table = Table(label, "articles")
            for row in rows:
                table.add_row(Text(str(row["value"])), str(row["count"]))
            console.print(table)


def similar(doc_id: Annotated[str, typer.Argument(metavar="ID")],
            limit: Annotated[int, typer.Option(min=1, max=100)] = 10,
            as_json: JsonOpt = False) -> None:
    """Articles most like the article ID (more_like_this)."""
    data = _run(lambda: _service().similar(doc_id, size=limit))
    if data is None:
        raise fail(f"no article with id {doc_id}")
    if as_json:
        print_json(data)
        return
    for h in data["hits"]:
        console.print(Text(f"{h['score'] or 0:6.2f}  {h['language']}  {h['title']}  ({h['id']})"))


def show(doc_id: Annotated[str, typer.Argument(metavar="ID")], as_json: JsonOpt = False) -> None:
    """One article as indexed."""
    doc = _run(lambda: _service().article(doc_id))
    if doc is None:
        raise fail(f"no article with id {doc_id}")
    if as_json:
        print_json(doc)
        return
    console.rule(Text(str(doc.get("title"))))
    console.print(Text(f"{doc.get('language')} · {doc.get('published_or_fetched_at')} · "
                       f"{doc.get('url') or doc['origins'][0]['location']}"))
    console.print(Text(str(doc.get("body"))))


_MARK = re.compile(r"<mark>(.*?)</mark>", re.S)


def marked(fragment: str, style: str = "") -> Text:
    """An HTML-escaped highlight fragment as rich text, the matches in bold."""
    text = Text(style=style)
    pos = 0
    for m in _MARK.finditer(fragment):
        text.append(html.unescape(fragment[pos:m.start()]))
        text.append(html.unescape(m.group(1)), style="bold yellow")
        pos = m.end()
    text.append(html.unescape(fragment[pos:]))
    return text


def _day(value: str | None) -> str:
    return datetime.fromisoformat(value).date().isoformat() if value else "-"


def stats(as_json: JsonOpt = False) -> None:
    """Counts per language, source, entity label; queue depths; quarantine size; jobs whose
    work waits on a refusing or unreachable service."""
    data = _run(collect_stats)
    if as_json:
        print_json(data)
        return
    console.print(f"[bold]{data['articles']}[/bold] articles, "
                  f"[bold]{data['quarantined']}[/bold] quarantined, "
                  f"{data['distinct_origins']} distinct origins")
    waiting = data.get("waiting") or []
    for row in waiting:
        console.print(f"[yellow]waiting:[/yellow] job {row['job_id']}: {row['description']}")
    if data.get("jobs_waiting", 0) > len(waiting):
        console.print(f"[yellow]waiting:[/yellow] … and {data['jobs_waiting'] - len(waiting)} "
                      "more jobs")
    for section, counts in data.items():
        if isinstance(counts, dict):
            table = Table(section, "count", title=None)
            for key, count in sorted(counts.items(), key=lambda kv: -kv[1]):
                table.add_row(str(key), str(count))
            console.print(table)


def collect_stats() -> dict[str, Any]:
    """The figures `stats` shows: bounded, however many origins the index holds."""
    settings = get_settings()
    store = services.store()
    response = store.aggregate(STATS_AGGREGATIONS)
    ledger = services.ledger()
    # A retried task notes each try, and tries are at most retry_backoff_max_s apart.
    waiting = ledger.waiting_jobs(fresh_s=settings.retry_backoff_max_s + 120)
    return {
        "articles": int(response["hits"]["total"]["value"]),
        "quarantined": store.count(settings.quarantine_index),
        "distinct_origins": distinct(response, "distinct_origins"),
        "languages": buckets(response, "languages"),
        "sources": buckets(response, "sources"),
        "top_origins": buckets(response, "origins"),
        "entity_labels": buckets(response, "entity_labels"),
        "top_entities": buckets(response, "top_entities"),
        "ner_status": buckets(response, "ner_status"),
        "queues": queue_depths(settings.celery_broker_url, QUEUES),
        "jobs_waiting": len(waiting),
        "waiting": [{"job_id": job_id, **asdict(w), "description": w.describe()}
                    for job_id, w in list(waiting.items())[:WAITING_SHOWN]],
    }
