"""`feeds add | remove | list | show | poll`: the feeds beat polls, and their health."""

from __future__ import annotations

from typing import Annotated

import typer
from pydantic import ValidationError
from rich.table import Table

from worker.cli import services
from worker.cli.ingest import exit_code, run_ingest
from worker.cli.output import JsonOpt, console, fail, print_json, print_summary
from worker.feeds.config import FeedConfig, describe, feed_id
from worker.feeds.registry import FeedRegistry
from worker.jobs.submit import is_url
from worker.settings import get_settings

app = typer.Typer(no_args_is_help=True, help="The feeds beat polls, and their health.")


def find_feed(registry: FeedRegistry, id_or_url: str) -> FeedConfig:
    """A registered feed by id or URL, or a clear error."""
    feeds = registry.feeds()
    cfg = feeds.get(id_or_url) or feeds.get(feed_id(id_or_url))
    if cfg is None:
        raise fail(f"no feed {id_or_url}; see `feeds list`")
    return cfg


@app.command("add")
def feeds_add(
    url: str,
    name: Annotated[str, typer.Option(help="Display name.")] = "",
    language: Annotated[str | None, typer.Option(help="Language hint (ISO 639-1).")] = None,
    interval: Annotated[int, typer.Option(help="Base poll interval, minutes.", min=1)] = 15,
    fulltext: Annotated[str, typer.Option(help="auto | always | never")] = "auto",
    as_json: JsonOpt = False,
) -> None:
    """Register a feed for polling (kept in Redis beside config/feeds.yaml)."""
    if not is_url(url):
        raise fail(f"{url} is not an http(s) URL")
    try:
        cfg = FeedConfig.model_validate({"url": url, "name": name, "language": language,
                                         "interval_minutes": interval, "fulltext": fulltext})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise fail(problems) from exc
    registry = services.registry()
    cfg = registry.add(cfg)
    row = describe(cfg, registry.state(cfg.feed_id))
    print_json(row) if as_json else console.print(f"added feed {row['id']}: {url}")


@app.command("remove")
def feeds_remove(id_or_url: str) -> None:
    """Forget a feed added with `feeds add` (config feeds live in config/feeds.yaml)."""
    registry = services.registry()
    cfg = find_feed(registry, id_or_url)
    if cfg.added_by == "config":
        raise fail(f"{cfg.url} comes from {get_settings().feeds_file}; remove it there")
    registry.remove(cfg.feed_id)
    console.print(f"removed feed {cfg.feed_id}")


@app.command("list")
def feeds_list(as_json: JsonOpt = False) -> None:
    """Every feed with its health: status, errors, last success, next poll."""
    registry = services.registry()
    rows = [describe(cfg, registry.state(fid)) for fid, cfg in registry.feeds().items()]
    if as_json:
        print_json(rows)
        return
    table = Table("id", "status", "errors", "last success", "next poll", "url", "last error")
    for r in rows:
        color = {"failing": "red", "new": "yellow"}.get(str(r["status"]), "green")
        table.add_row(str(r["id"]), f"[{color}]{r['status']}[/{color}]",
                      str(r["consecutive_errors"]), str(r["last_success_at"] or "-"),
                      str(r["next_poll_at"] or "now"), str(r["url"]), str(r["last_error"] or ""))
    console.print(table)


@app.command("show")
def feeds_show(id_or_url: str, as_json: JsonOpt = False) -> None:
    """One feed's configuration and state."""
    registry = services.registry()
    cfg = find_feed(registry, id_or_url)
    row = describe(cfg, registry.state(cfg.feed_id))
    if as_json:
        print_json(row)
        return
    for key, value in row.items():
        console.print(f"{key}: {value}")


@app.command("poll")
def feeds_poll(
    id_or_url: str,
    wait: Annotated[bool, typer.Option(help="Block until its articles are done.")] = False,
    timeout: Annotated[float, typer.Option()] = 600.0,
    as_json: JsonOpt = False,
) -> None:
    """Poll a registered feed now, whatever its schedule."""
    cfg = find_feed(services.registry(), id_or_url)
    summary = run_ingest([cfg.url], wait, timeout)
    print_json(summary) if as_json else print_summary(summary)
    raise typer.Exit(exit_code(summary, wait))
