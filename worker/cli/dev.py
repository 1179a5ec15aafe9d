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
    """The stack's processes as JSON or a table, then what work waits on."""
    if as_json:
        print_json(rows)
        return
    table = Table("service", "role", "running", "pid", "address", "log")
    for row in rows:
        running = "yes" if row["running"] else "[red]no[/red]"
        if row["running"] and row.get("answering") is False:
            running = "[yellow]yes, not answering[/yellow]"
        table.add_row(str(row["name"]), str(row.get("role", "")), running, str(row["pid"]),
                      str(row.get("url") or ""), str(row["log"]))
    console.print(table if rows else "nothing recorded; run `dev up`")
    for line in waiting_lines(rows):
        console.print(line)


def waiting_lines(rows: list[dict[str, object]]) -> list[str]:
    """'job X waiting: <reason> (since …)' for each job whose tasks retry after a service
    failure: while Elasticsearch is away, the queues look empty and the work is here."""
    redis_row = next((r for r in rows if r["name"] == "redis"), None)
    if not redis_row or not redis_row.get("answering"):
        return []
    from worker.jobs.ledger import JobLedger

    settings = get_settings()
    try:
        waiting = JobLedger.from_url(str(redis_row["url"])).waiting_jobs(
            fresh_s=settings.retry_backoff_max_s * 3 + 60)
    except Exception:
        return []
    return [f"job {job_id} waiting: {w.describe()}" for job_id, w in waiting.items()]
