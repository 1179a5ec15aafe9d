"""What `ingest --wait` shows while it waits: a rich progress bar on a terminal, else a plain
line on stderr now and then (only when the counts moved), so a log or CI run sees it move
and stdout keeps the final summary alone."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from rich.console import Console, RenderableType
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from worker.cli.output import without_controls
from worker.jobs.summary import JobSummary

# A plain progress line at most this often (seconds).
PLAIN_EVERY_S = 5.0
OnPoll = Callable[[JobSummary], None]


def finished(summary: JobSummary) -> int:
    """Items with an outcome: indexed, updated, duplicates and quarantined."""
    return summary.indexed + summary.updated + summary.duplicates + summary.quarantined


def sources_note(summary: JobSummary) -> str:
    """'2 of 5 sources still to read', or '' once every source was read."""
    if not summary.sources_pending:
        return ""
    return f"{summary.sources_pending} of {summary.sources} sources still to read"


def waiting_note(summary: JobSummary) -> str:
    """What the job waits on ('' when nothing), as `job` says it."""
    if summary.done or summary.waiting is None:
        return ""
    return without_controls(summary.waiting.describe())


def progress_line(summary: JobSummary) -> str:
    """The plain progress line for these counts."""
    line = (f"job {summary.job_id}: {finished(summary)}/{summary.submitted} articles done "
            f"({summary.indexed} indexed, {summary.updated} updated, "
            f"{summary.duplicates} duplicates, {summary.quarantined} quarantined)")
    if note := sources_note(summary):
        line += f", {note}"
    if note := waiting_note(summary):
        line += f"; waiting: {note}"
    return line


def progress_key(summary: JobSummary) -> tuple[object, ...]:
    """What must change for a new plain line to be worth printing."""
    waiting = summary.waiting.reason if summary.waiting and not summary.done else None
    return (summary.sources_pending, summary.submitted, summary.indexed, summary.updated,
            summary.duplicates, summary.quarantined, waiting)


def line_due(key: tuple[object, ...], now: float, last_key: tuple[object, ...] | None,
             last_at: float | None, every_s: float = PLAIN_EVERY_S) -> bool:
    """True when the counts moved since the last line and that line is ``every_s`` old."""
    if key == last_key:
        return False
    return last_at is None or now - last_at >= every_s


@dataclass
class PlainProgress:
    """Decides which summaries become a plain line (the caller prints and gives the time)."""

    every_s: float = PLAIN_EVERY_S
    last_key: tuple[object, ...] | None = None
    last_at: float | None = None

    def offer(self, summary: JobSummary, now: float) -> str | None:
        """The line to print for ``summary`` at ``now``, or None; a done job gets none (the
        summary that follows says it all)."""
        if summary.done:
            return None
        key = progress_key(summary)
        if not line_due(key, now, self.last_key, self.last_at, self.every_s):
            return None
        self.last_key, self.last_at = key, now
        return progress_line(summary)


class _JobBar(Progress):
    """A rich progress bar with the job's 'waiting: …' line under it."""

    def __init__(self, console: Console) -> None:
        self.waiting = ""  # before rich's __init__, which may render already
        super().__init__(
            TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[detail]}"), TimeElapsedColumn(),
            console=console, transient=True,
        )

    def get_renderables(self) -> Iterable[RenderableType]:
        """The bar, then the waiting line while there is one."""
        table: Table = self.make_tasks_table(self.tasks)
        yield table
        if self.waiting:
            yield Text.assemble(("waiting: ", "yellow"), self.waiting)


def bar_detail(summary: JobSummary) -> str:
    """The text beside the bar: outcomes so far, and the sources left to read."""
    parts = [f"{summary.indexed} indexed"]
    parts += [f"{n} {what}" for n, what in ((summary.updated, "updated"),
                                            (summary.duplicates, "duplicates"),
                                            (summary.quarantined, "quarantined")) if n]
    if note := sources_note(summary):
        parts.append(note)
    return ", ".join(parts)


@contextmanager
def rich_progress(console: Console, job_id: str) -> Iterator[OnPoll]:
    """A live bar on ``console`` (a terminal) for the time of the block."""
    with _JobBar(console) as bar:
        task: TaskID = bar.add_task(f"job {job_id}", total=None, detail="")

        def update(summary: JobSummary) -> None:
            bar.waiting = waiting_note(summary)
            bar.update(task, total=summary.submitted or None, completed=finished(summary),
                       detail=bar_detail(summary))

        yield update


@contextmanager
def plain_progress(write: Callable[[str], Any], clock: Callable[[], float]) -> Iterator[OnPoll]:
    """Plain lines through ``write`` for the time of the block, at most every few seconds."""
    plain = PlainProgress()

    def update(summary: JobSummary) -> None:
        if (line := plain.offer(summary, clock())) is not None:
            write(line)

    yield update
