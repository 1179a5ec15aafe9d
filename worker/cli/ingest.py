"""`ingest` and `job`: queue input as a job, follow its counts; `ingest --dry-run` locally."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from worker.cli import services
from worker.cli.output import JsonOpt, fail, print_json, print_summary
from worker.enrich.annotate import Enricher
from worker.errors import QuarantineError
from worker.jobs.submit import is_url, source_items, start_ingest
from worker.pipeline.stages import parse_source
from worker.settings import get_settings


def ingest(
    targets: Annotated[list[str], typer.Argument(help="Seed files, folders, or feed URLs.")],
    wait: Annotated[bool, typer.Option(help="Block until every article is done.")] = False,
    timeout: Annotated[float, typer.Option(help="Seconds --wait waits at most.")] = 600.0,
    dry_run: Annotated[bool, typer.Option(help="Parse locally, print records.")] = False,
    enrich: Annotated[bool, typer.Option(help="With --dry-run: add NLP.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Queue seed files for ingestion (or, with --dry-run, show what would be indexed)."""
    if dry_run:
        dry_run_records([Path(t) for t in targets if not is_url(t)], enrich)
        return
    summary = run_ingest(targets, wait, timeout)
    if as_json:
        print_json(summary)
    else:
        print_summary(summary)
    if wait and not summary["done"]:
        raise typer.Exit(2)


def run_ingest(targets: list[str], wait: bool, timeout: float) -> dict[str, Any]:
    """Queue ``targets`` as a job; its summary (after waiting, if asked)."""
    known = services.registry().feeds() if any(is_url(t) for t in targets) else {}
    try:
        job_id = start_ingest(targets, get_settings(), services.ledger(), services.outbox(),
                              known)
    except FileNotFoundError as exc:
        raise fail(str(exc)) from exc
    return services.wait_for(job_id, wait, timeout).as_dict()


def dry_run_records(paths: list[Path], enrich: bool) -> None:
    """One JSON line per record that would be indexed, or per error."""
    settings = get_settings()
    try:
        items = source_items(paths, "dry-run", settings)
    except FileNotFoundError as exc:
        raise fail(str(exc)) from exc
    enricher = Enricher.from_settings(settings) if enrich else None
    for item in items:
        try:
            envelopes, errors = parse_source(item, settings)
        except QuarantineError as exc:
            print_json({"error": str(exc), "reason_code": exc.reason_code,
                        "origin": item.origin.location})
            continue
        for error in errors:
            print_json({"error": error.reason, "reason_code": error.reason_code,
                        "origin": item.origin.location, "record": error.location})
        for env in envelopes:
            article = enricher.enrich(env.article) if enricher else env.article
            print_json(article.model_dump(mode="json"))


def job(job_id: str, as_json: JsonOpt = False) -> None:
    """Counts of an ingest job."""
    ledger = services.ledger()
    if not ledger.exists(job_id):
        raise fail(f"no job {job_id}")
    summary = ledger.summary(job_id).as_dict()
    print_json(summary) if as_json else print_summary(summary)
