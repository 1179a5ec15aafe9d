"""`index migrate` and `index status`: index versions behind the articles alias."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import typer
from elasticsearch import ApiError, TransportError
from rich.markup import escape
from rich.table import Table

from worker.cli import services
from worker.cli.output import JsonOpt, console, fail, print_json
from worker.cli.service_errors import service_error_message
from worker.errors import TransientError
from worker.index.migrate import MigrationError, index_status, run_migration
from worker.settings import get_settings

app = typer.Typer(no_args_is_help=True, add_completion=False,
                  help="Versions of the articles index; mapping changes without downtime.")
T = TypeVar("T")


def _one_line(exc: object) -> str:
    return " ".join(str(exc).split())


def _guarded(action: Callable[[], T]) -> T:
    """Run ``action``; Elasticsearch and migration errors become one line and exit 1."""
    try:
        return action()
    except (MigrationError, TransientError, TransportError) as exc:
        cause = exc.__cause__ if isinstance(exc, TransientError) else exc
        if isinstance(cause, TransportError):
            raise fail(service_error_message(cause, get_settings()) or str(cause)) from exc
        raise fail(_one_line(exc)) from exc
    except ApiError as exc:
        if exc.meta.status in (401, 403):
            raise fail(service_error_message(exc, get_settings()) or str(exc)) from exc
        raise fail(f"elasticsearch {exc.meta.status}: {_one_line(exc.message)} "
                   f"({_one_line(str(exc.info))[:300]})") from exc


@app.command()
def migrate(
    keep_old: Annotated[bool, typer.Option(
        "--keep-old", help="Keep the old index (outside the alias, write-blocked).")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Move the articles to a new index version (config's mapping) while ingestion goes on.

    Run it again to finish an interrupted migration.
    """
    report = _guarded(lambda: run_migration(services.store(), keep_old=keep_old))
    data = report.as_dict()
    if as_json:
        print_json(data)
    else:
        _print_report(data)
    if not report.complete:
        raise fail(f"{data['failed']} documents not copied: {', '.join(report.sources)} "
                   f"kept in the alias beside {report.target}; nothing was lost, fix the "
                   "cause and run `index migrate` again")


def _print_report(data: dict[str, Any]) -> None:
    state = "resumed" if data["resumed"] else "new"
    console.print(f"{', '.join(data['sources'])} → [bold]{data['target']}[/bold] ({state}, "
                  f"{data['method']}): {data['copied']} copied, {data['skipped_newer']} "
                  f"skipped as newer, {data['failed']} failed, {data['docs_per_s']} docs/s; "
                  f"old indices {data['old_indices']}")
    durations = ", ".join(f"{k} {v:.2f} s" for k, v in data["durations_s"].items())
    console.print(f"durations: {durations}")
    for copy in data["copies"]:
        for failure in copy["failures"]:
            console.print(f"[yellow]failed:[/yellow] {escape(failure)}")


@app.command()
def status(as_json: JsonOpt = False) -> None:
    """Index versions, the write index, document counts, schema versions, migration state."""
    data = _guarded(lambda: index_status(services.store()))
    if as_json:
        print_json(data)
        return
    table = Table("index", "version", "docs", "aliases", "write", "blocked", "schema")
    for row in data["indices"]:
        table.add_row(row["name"], str(row["version"]), str(row["docs"]),
                      ", ".join(row["aliases"]), "yes" if row["is_write_index"] else "",
                      "yes" if row["write_blocked"] else "", str(row["schema_version"]))
    console.print(table)
    migration = data["migration"]
    console.print(f"alias [bold]{data['alias']}[/bold] writes to {data['write_index']}; "
                  f"template schema {data['template_schema_version']} (config "
                  f"{data['config_schema_version']}); migration: {migration['state']} — "
                  f"{migration['detail']}")
