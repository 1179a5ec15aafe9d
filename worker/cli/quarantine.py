"""`quarantine list | show | replay`: what was refused and why, and sending it through again
once the cause is gone (plain `quarantine` is `quarantine list`)."""

from __future__ import annotations

import base64
import re
import sys
from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from worker.cli import services
from worker.cli.ingest import exit_code
from worker.cli.output import JsonOpt, console, fail, print_json, print_summary
from worker.jobs.replay import plan_replay, submit_replay
from worker.settings import get_settings

HEAD_LINES = 10
HEAD_CHARS = 2000
HEAD_HEX_BYTES = 64
# NUL and other C0 controls (not tab, newline, CR, form feed), or undecodable bytes.
_BINARY = re.compile("[\x00-\x08\x0b\x0e-\x1f\ufffd]")

StageOpt = Annotated[str | None, typer.Option("--stage", help="parse, feed, enrich, index, …")]
ReasonOpt = Annotated[str | None, typer.Option("--reason", help="A reason code: not_text, …")]
JobOpt = Annotated[str | None, typer.Option("--job", help="Only entries of this job.")]
LimitOpt = Annotated[int, typer.Option(min=1, max=10_000, help="At most this many entries.")]

app = typer.Typer(no_args_is_help=False, help=__doc__)


@app.callback(invoke_without_command=True)
def quarantine(
    ctx: typer.Context, stage: StageOpt = None, reason: ReasonOpt = None, job_id: JobOpt = None,
    limit: LimitOpt = 50, as_json: JsonOpt = False,
) -> None:
    """What was refused, and why (`list` when no command is given)."""
    if ctx.invoked_subcommand is None:
        list_entries(stage, reason, job_id, limit, as_json)


@app.command("list")
def list_entries(
    stage: StageOpt = None, reason: ReasonOpt = None, job_id: JobOpt = None,
    limit: LimitOpt = 50, as_json: JsonOpt = False,
) -> None:
    """Entries newest first, with reason, stage, attempts and whether they were replayed."""
    entries = services.store().quarantine_entries(
        stage=stage, reason_code=reason, job_id=job_id, size=limit)
    if as_json:
        print_json(entries)
        return
    if not entries:
        console.print("quarantine is empty")
    for e in entries:  # three lines each: readable at 80 columns, the id whole for `show`
        when = str(e["quarantined_at"]).replace("T", " ")[:19]
        replayed = f", replayed by {e['replay_job']}" if e.get("replay_job") else ""
        console.print(f"[bold]{e['id']}[/bold] {when} {e['stage']}, attempt "
                      f"{e.get('attempts') or 1}{replayed}", soft_wrap=True)
        console.print(f"  {e['reason_code']}: {e['reason']}", soft_wrap=True, markup=False)
        console.print(f"  {e['origin']['location']}", soft_wrap=True, markup=False)

@app.command()
def show(
    entry_id: Annotated[str, typer.Argument(help="An id from `quarantine list`.")],
    raw: Annotated[bool, typer.Option("--raw", help="Write the kept bytes to stdout.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Everything one entry keeps (reason, error class, times, origin, record or raw input).

    Of the raw input: its size, SHA-256 and first lines; --raw writes the kept bytes.
    """
    entry = services.store().quarantine_entry(entry_id)
    if entry is None:
        raise fail(f"no quarantine entry {entry_id}")
    kept = base64.b64decode(entry.pop("raw_base64", None) or "")
    if raw:
        sys.stdout.buffer.write(kept)
        return
    if entry.get("raw_size") is not None:
        entry["raw_head"] = raw_head(kept)
    if as_json:
        print_json(entry)
        return
    for field in ("id", "stage", "reason_code", "reason", "error_class", "job_id", "item_key",
                  "quarantined_at", "attempts", "first_quarantined_at", "replayed_at",
                  "replay_job", "raw_size", "raw_sha256", "raw_truncated"):
        if entry.get(field) is not None:
            console.print(f"[bold]{field}[/bold]: {entry[field]}", soft_wrap=True)
    origin = entry.get("origin") or {}
    console.print(f"[bold]origin[/bold]: {origin.get('kind')} {origin.get('location')}",
                  soft_wrap=True)
    if "raw_head" in entry:
        console.print("[bold]first lines[/bold]:", soft_wrap=True)
        console.print(entry["raw_head"], markup=False, highlight=False, soft_wrap=True)
    if entry.get("record") is not None:
        console.print("[bold]record[/bold]:")
        console.print_json(data=entry["record"])


def raw_head(kept: bytes) -> str:
    """The first lines of text input, or a hex dump of the first bytes of binary input."""
    text = kept[: HEAD_CHARS * 4].decode("utf-8", errors="replace")[:HEAD_CHARS]
    if _BINARY.search(text):
        return f"(binary) {kept[:HEAD_HEX_BYTES].hex(' ')}"
    return "\n".join(text.splitlines()[:HEAD_LINES])


@app.command()
def replay(
    stage: StageOpt = None, reason: ReasonOpt = None, job_id: JobOpt = None,
    ids: Annotated[list[str] | None, typer.Option("--id", help="This entry (repeatable).")]
    = None,
    again: Annotated[bool, typer.Option(help="Replay entries replayed before, too.")] = False,
    dry_run: Annotated[bool, typer.Option(help="Say what would be replayed; send nothing.")]
    = False,
    wait: Annotated[bool, typer.Option(help="Block until the replay job is done.")] = False,
    timeout: Annotated[float, typer.Option(help="Seconds --wait waits at most.")] = 600.0,
    limit: LimitOpt = 1000,
    as_json: JsonOpt = False,
) -> None:
    """Send matching entries through again, as a new job (idempotent: ids are deterministic).

    Kept files go back to parse, kept articles to NLP; entries replayed before are skipped
    unless --again. Exit code 2 when --wait timed out.
    """
    store = services.store()
    entries = store.quarantine_entries(stage=stage, reason_code=reason, job_id=job_id,
                                       ids=ids, size=limit)
    plan = plan_replay(entries, again=again)
    report: dict[str, Any] = {**plan.counts(), "job_id": None, "dry_run": dry_run,
                              "limit_reached": len(entries) >= limit,
                              "entries": [d.as_dict() for d in plan.decisions]}
    if plan.replayed and not dry_run:
        store.put_quarantine_mapping()  # an index made by an older version lacks replay fields
        by_id = {e["id"]: e for e in entries}
        submitted = submit_replay(
            plan, by_id, ledger=services.ledger(),
            outbox=services.outbox(), load_raw=lambda i: _kept_bytes(store.quarantine_entry(i)),
            batch_size=get_settings().batch_size, batch_chars=get_settings().batch_chars)
        unmarked = store.mark_replayed(
            {i: int(by_id[i].get("replays") or 0) + 1 for i in submitted.sent},
            submitted.job_id, datetime.now(UTC).isoformat())
        report.update(job_id=submitted.job_id, lost=submitted.lost, unmarked=unmarked)
    summary = services.wait_for(report["job_id"], wait, timeout).as_dict() \
        if report["job_id"] else None
    report["job"] = summary
    if as_json:
        print_json(report)
    else:
        _print_report(report)
        if summary:
            print_summary(summary)
    raise typer.Exit(exit_code(summary, wait) if summary else 0)


def _kept_bytes(entry: dict[str, Any] | None) -> bytes | None:
    if entry is None or entry.get("raw_base64") is None:
        return None
    return base64.b64decode(entry["raw_base64"])


def _print_report(report: dict[str, Any]) -> None:
    verb = "would replay" if report["dry_run"] else "replayed"
    stages = ", ".join(f"{n} {s}" for s, n in report["replayed_by_stage"].items()) or "none"
    skipped = report["skipped"]
    console.print(
        f"{report['matched']} entries matched; {verb} {report['replayed']} (by stage: "
        f"{stages}); skipped {skipped['already_replayed']} already replayed, "
        f"{skipped['no_payload']} not replayable", soft_wrap=True)
    for entry in report["entries"]:
        if entry["skip"]:
            console.print(f"  skipped {entry['id']} ({entry['stage']}): {entry['why']}",
                          soft_wrap=True, markup=False)
    if report["limit_reached"]:
        console.print("[yellow]more entries may match: raise --limit[/yellow]")
    if report["job_id"]:
        console.print(f"job [bold]{report['job_id']}[/bold] queued")
