"""What `ingest --wait` shows while it waits: the plain lines and when they are due, and the
bar a terminal gets (with the service the job waits on under it)."""

from __future__ import annotations

import io
import time
from dataclasses import replace
from datetime import datetime

from rich.console import Console

from worker.cli.progress import (
    PlainProgress,
    line_due,
    plain_progress,
    progress_key,
    progress_line,
    rich_progress,
)
from worker.jobs.summary import JobSummary, Waiting

RUNNING = JobSummary(job_id="j1", sources=5, sources_pending=2, submitted=40, indexed=10,
                     updated=1, duplicates=2, quarantined=3, errors=[])
SINCE = datetime(2026, 1, 12, 14, 2, 11).timestamp()
WAITING = Waiting(reason="elasticsearch unreachable: ConnectionError", since=SINCE, retries=7,
                  last_at=SINCE + 60)


def test_the_plain_line_counts_every_outcome_of_the_submitted_articles() -> None:
    assert progress_line(RUNNING) == (
        "job j1: 16/40 articles done (10 indexed, 1 updated, 2 duplicates, 3 quarantined), "
        "2 of 5 sources still to read")
    read = replace(RUNNING, sources_pending=0)
    assert progress_line(read).endswith("3 quarantined)")


def test_the_plain_line_says_what_the_job_waits_on() -> None:
    line = progress_line(replace(RUNNING, waiting=WAITING))
    assert line.endswith("; waiting: elasticsearch unreachable: ConnectionError "
                         "(since 14:02:11, 7 retries)")
    # A reason carrying escape codes cannot drive the terminal or colour a pipe.
    evil = replace(RUNNING, waiting=replace(WAITING, reason="down\x1b[31m red"))
    assert "\x1b" not in progress_line(evil)


def test_a_line_is_due_only_when_the_counts_moved_and_the_last_is_old_enough() -> None:
    key = progress_key(RUNNING)
    moved = progress_key(replace(RUNNING, indexed=11))
    assert line_due(key, now=100.0, last_key=None, last_at=None)
    assert not line_due(key, now=500.0, last_key=key, last_at=100.0)  # nothing moved
    assert not line_due(moved, now=104.0, last_key=key, last_at=100.0)  # too soon
    assert line_due(moved, now=105.0, last_key=key, last_at=100.0)
    # A job that starts waiting on a service is news too.
    assert progress_key(replace(RUNNING, waiting=WAITING)) != key


def test_polls_become_few_lines_and_none_once_done() -> None:
    plain = PlainProgress(every_s=5.0)
    polls = [(0.0, RUNNING), (0.25, RUNNING), (1.0, replace(RUNNING, indexed=12)),
             (5.5, replace(RUNNING, indexed=13)), (6.0, replace(RUNNING, indexed=14)),
             (30.0, replace(RUNNING, indexed=14)),
             (31.0, replace(RUNNING, sources_pending=0, indexed=24))]
    lines = [line for at, s in polls if (line := plain.offer(s, at)) is not None]
    # 14 at 30 s differs from the 13 last shown: worth a line, however long it sat still.
    shown = [line.split(": ", 1)[1].split(" articles")[0] for line in lines]
    assert shown == ["16/40", "19/40", "20/40"]
    done = replace(RUNNING, sources_pending=0, indexed=34)
    assert done.done and plain.offer(done, 100.0) is None


def test_plain_progress_writes_through_the_given_writer() -> None:
    written: list[str] = []
    clock = iter([0.0, 1.0, 6.0]).__next__
    with plain_progress(written.append, clock) as on_poll:
        for summary in (RUNNING, replace(RUNNING, indexed=11), replace(RUNNING, indexed=12)):
            on_poll(summary)
    assert len(written) == 2 and "18/40" in written[1]


def test_a_terminal_gets_a_bar_with_the_waiting_line_under_it() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=160, color_system=None)
    with rich_progress(console, "j1") as on_poll:
        on_poll(replace(RUNNING, waiting=WAITING))
        time.sleep(0.3)  # the bar refreshes on its own thread
    shown = out.getvalue()
    assert "job j1" in shown and "16/40" in shown and "10 indexed" in shown
    assert "waiting: elasticsearch unreachable: ConnectionError (since 14:02:11" in shown
    assert "2 of 5 sources still to read" in shown
