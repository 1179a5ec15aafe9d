"""How the CLI speaks: JSON on stdout for programs, rich tables for people, errors on stderr."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

console = Console()
err = Console(stderr=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


def print_json(data: Any) -> None:
    """One JSON document on stdout."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, default=str) + "\n")


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print a one-line error; raise the returned exit."""
    err.print(f"[red]error:[/red] {message}")
    return typer.Exit(code)


def print_summary(summary: dict[str, Any]) -> None:
    """One line of job counts, and the sources that could not be read."""
    state = "done" if summary["done"] else "queued (not finished)"
    console.print(
        f"job [bold]{summary['job_id']}[/bold]: {summary['sources']} sources, "
        f"{summary['submitted']} submitted, {summary['indexed']} indexed, "
        f"{summary['updated']} updated, "
        f"{summary['duplicates']} duplicates, {summary['quarantined']} quarantined — {state}"
    )
    for error in summary.get("errors") or []:
        console.print(f"[yellow]source error:[/yellow] {error}")


def entity_table(rows: list[tuple[str, str, int, list[str]]]) -> Table:
    """label / entity / mentions / surface forms."""
    table = Table("label", "entity", "mentions", "surface forms")
    for label, name, count, surfaces in rows:
        table.add_row(label, name, str(count), ", ".join(surfaces))
    return table
