"""`quarantine`: what was refused, and why."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from worker.cli import services
from worker.cli.output import JsonOpt, console, print_json


def quarantine(
    job_id: Annotated[str | None, typer.Option("--job", help="Only this job.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    as_json: JsonOpt = False,
) -> None:
    """What was refused, and why (raw input is kept in the quarantine index)."""
    entries = services.store().quarantined(job_id=job_id, size=limit)
    if as_json:
        print_json(entries)
        return
    table = Table("when", "stage", "reason", "origin")
    for e in entries:
        table.add_row(str(e["quarantined_at"]), e["stage"], e["reason"], e["origin"]["location"])
    console.print(table if entries else "quarantine is empty")
