"""How the CLI speaks: JSON on stdout for programs, rich tables for people, errors on stderr.

Colours only on a terminal (rich's own rule: not when piped or redirected, unless
FORCE_COLOR or TTY_COMPATIBLE=1 asks for them, and never with NO_COLOR). Text from articles
is printed without its control characters, so a title carrying ESC sequences cannot colour
a pipe or drive the terminal.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

# C0 controls but tab and newline, DEL, and C1 controls (0x9b is an 8-bit CSI).
_CONTROL_CHARS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def without_controls(text: str) -> str:
    """``text`` without control characters other than tab and newline."""
    return _CONTROL_CHARS.sub("", text)


class SafeConsole(Console):
    """A rich Console that drops control characters from every string it is given to render
    (print arguments, table cells, rule titles): only rich itself writes escape codes."""

    def render_str(self, text: str, **kwargs: Any) -> Text:
        """Render ``text`` as rich does, after dropping its control characters."""
        return super().render_str(without_controls(text), **kwargs)


console = SafeConsole()
err = SafeConsole(stderr=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


def print_json(data: Any) -> None:
    """One JSON document on stdout."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, default=str) + "\n")


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print a one-line error (never wrapped: a pipe gets one line); raise the returned exit."""
    err.print(f"[red]error:[/red] {message}", soft_wrap=True)
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
    waiting = summary.get("waiting")
    if waiting:
        console.print(f"[yellow]waiting:[/yellow] {waiting['description']}")


def entity_table(rows: list[tuple[str, str, int, list[str]]]) -> Table:
    """label / entity / mentions / surface forms."""
    table = Table("label", "entity", "mentions", "surface forms")
    for label, name, count, surfaces in rows:
        table.add_row(label, name, str(count), ", ".join(surfaces))
    return table
