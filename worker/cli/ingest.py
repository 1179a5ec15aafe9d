"""`ingest` and `job`: queue input as a job, follow its counts; `ingest --dry-run` locally."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import Annotated, Any
from urllib.parse import urlsplit

import typer

from worker.cli import services
from worker.cli.output import JsonOpt, console, fail, print_json, print_summary
from worker.cli.progress import OnPoll, plain_progress, rich_progress
from worker.enrich.annotate import Enricher
from worker.errors import QuarantineError
from worker.jobs.keys import seed_source_key
from worker.jobs.submit import is_url, source_item, start_ingest
from worker.pipeline.messages import SourceItem
from worker.pipeline.quarantine import MORE_BAD_RECORDS, file_refusal, plan_bad_records
from worker.pipeline.stages import parse_source
from worker.settings import Settings, get_settings
from worker.sources.discover import SeedPathError, discover_seed_files, seed_paths


def ingest(
    targets: Annotated[list[str], typer.Argument(help="Seed files, folders, or feed URLs.")],
    wait: Annotated[bool, typer.Option(help="Block until every article is done.")] = False,
    timeout: Annotated[float, typer.Option(help="Seconds --wait waits at most.")] = 600.0,
    dry_run: Annotated[bool, typer.Option(help="Parse locally, print records.")] = False,
    enrich: Annotated[bool, typer.Option(help="With --dry-run: add NLP.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Queue seed files for ingestion (or, with --dry-run, show what would be indexed).

    Exit code 1 when a source could not be read (a missing path: nothing is queued; a feed
    that could not be fetched, seen with --wait), 2 when --wait timed out.
    """
    if dry_run:
        dry_run_records([t for t in targets if not is_url(t)], enrich)
        return
    summary = run_ingest(targets, wait, timeout, progress=not as_json)
    if as_json:
        print_json(summary)
    else:
        print_summary(summary)
    raise typer.Exit(exit_code(summary, wait))


def exit_code(summary: dict[str, Any], wait: bool) -> int:
    """0 when all went through; 2 when the wait timed out; 1 when a source had an error."""
    if wait and not summary["done"]:
        return 2
    return 1 if summary.get("errors") else 0


def run_ingest(targets: list[str], wait: bool, timeout: float, *,
               progress: bool = False) -> dict[str, Any]:
    """Queue ``targets`` as a job; its summary (after waiting, if asked, with a progress
    display when ``progress``)."""
    for url in (t for t in targets if is_url(t)):
        if not urlsplit(url).hostname or any(c.isspace() for c in url):
            raise fail(f"{url!r} is not a feed URL (no host, or spaces); nothing was queued")
    known = services.registry().feeds() if any(is_url(t) for t in targets) else {}
    try:
        job_id = start_ingest(targets, get_settings(), services.ledger(), services.outbox(),
                              known)
    except (FileNotFoundError, SeedPathError) as exc:
        raise fail(f"{exc}; nothing was queued") from exc
    if not (wait and progress):
        return services.wait_for(job_id, wait, timeout).as_dict()
    with progress_display(job_id) as on_poll:
        summary = services.ledger().wait(job_id, timeout, on_poll=on_poll)
    if summary.done:
        services.store().refresh()
    return summary.as_dict()


def progress_display(job_id: str) -> AbstractContextManager[OnPoll]:
    """A live bar when stdout is a terminal; else plain lines on stderr (stdout keeps only
    the summary, as scripts read it)."""
    if console.is_terminal:
        return rich_progress(console, job_id)
    return plain_progress(_stderr_line, time.monotonic)


def _stderr_line(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def dry_run_records(targets: list[str], enrich: bool) -> None:
    """One JSON line per record that would be indexed, or per error (bounded per file as the
    workers bound them); exit code 1 when a file could not be read."""
    settings = get_settings()
    try:
        files = discover_seed_files(seed_paths(targets), settings.max_seed_files)
    except (FileNotFoundError, SeedPathError) as exc:
        raise fail(str(exc)) from exc
    enricher = Enricher.from_settings(settings) if enrich else None
    unreadable = 0
    for n, path in enumerate(files):
        try:
            item = source_item("dry-run", seed_source_key("dry-run", n), path, settings)
        except OSError as exc:
            unreadable += 1
            print_json({"error": f"cannot read {path}: {exc.strerror or exc}",
                        "reason_code": "unreadable", "origin": str(path)})
            continue
        for line in dry_run_lines(item, settings, enricher):
            print_json(line)
    if unreadable:
        raise typer.Exit(1)


def dry_run_lines(item: SourceItem, settings: Settings,
                  enricher: Enricher | None) -> Iterator[dict[str, Any]]:
    """What the workers would make of one file: error lines, then article records."""
    origin = item.origin.location
    try:
        envelopes, errors = parse_source(item, settings)
    except QuarantineError as exc:
        yield {"error": str(exc), "reason_code": exc.reason_code, "origin": origin}
        return
    if not envelopes:
        refusal, summary = file_refusal(errors)
        yield {"error": str(refusal), "reason_code": refusal.reason_code, "origin": origin,
               "bad_records": summary.count}
        return
    plan = plan_bad_records(item.key, errors, settings.max_bad_records)
    for error in plan.each.values():
        yield {"error": error.reason, "reason_code": error.reason_code, "origin": origin,
               "record": error.location}
    if plan.rest is not None:
        yield {"error": plan.rest_reason(), "reason_code": MORE_BAD_RECORDS, "origin": origin,
               "bad_records": plan.rest.count}
    for env in envelopes:
        article = enricher.enrich(env.article) if enricher else env.article
        yield article.model_dump(mode="json")


def job(job_id: str, as_json: JsonOpt = False) -> None:
    """Counts of an ingest job."""
    ledger = services.ledger()
    if not ledger.exists(job_id):
        raise fail(f"no job {job_id}")
    summary = ledger.summary(job_id).as_dict()
    print_json(summary) if as_json else print_summary(summary)
