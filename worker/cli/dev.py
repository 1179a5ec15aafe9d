"""`dev up | down | status`: the local stack without Docker."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from worker.cli.output import JsonOpt, console, fail, print_json
from worker.devstack.stack import DevStack, StackError
from worker.settings import get_settings

app = typer.Typer(no_args_is_help=True, help="The local stack without Docker.")


@app.command("up")
def dev_up(
    workers: Annotated[bool, typer.Option(help="Also start workers, beat and Flower.")] = True,
    as_json: JsonOpt = False,
) -> None:
    """Start Redis, Elasticsearch and the workers (idempotent)."""
    stack = DevStack(get_settings())
    try:
        stack.up(workers=workers)
    except StackError as exc:
        raise fail(str(exc)) from exc
    show_status(stack.status(), as_json)


@app.command("down")
def dev_down(as_json: JsonOpt = False) -> None:
    """Stop everything `dev up` started."""
    stopped = DevStack(get_settings()).down()
    if as_json:
        print_json({"stopped": stopped})
    else:
        console.print(f"stopped: {', '.join(stopped) or 'nothing was running'}")


@app.command("status")
def dev_status(as_json: JsonOpt = False) -> None:
    """What runs where."""
    show_status(DevStack(get_settings()).status(), as_json)


def show_status(rows: list[dict[str, object]], as_json: bool) -> None:
    """The stack's processes as JSON or a table."""
    if as_json:
        print_json(rows)
        return
    table = Table("service", "running", "pid", "address", "log")
    for row in rows:
        table.add_row(str(row["name"]), "yes" if row["running"] else "[red]no[/red]",
                      str(row["pid"]), str(row.get("url") or ""), str(row["log"]))
    console.print(table if rows else "nothing recorded; run `dev up`")
