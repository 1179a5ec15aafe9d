"""Turning CLI arguments into queued work: one SourceItem per file, counted in the ledger."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from pathlib import Path

from worker.pipeline.messages import SourceItem
from worker.queue.ledger import JobLedger
from worker.record import Origin
from worker.settings import Settings
from worker.sources.discover import discover_seed_files


def new_job_id() -> str:
    """A short unique job id."""
    return uuid.uuid4().hex[:12]


def source_items(paths: list[Path], job_id: str, settings: Settings) -> list[SourceItem]:
    """Read each seed file into a message; an oversized file travels without its bytes."""
    items = []
    for n, path in enumerate(discover_seed_files(paths)):
        origin = Origin(kind="seed", location=str(path.resolve()), job_id=job_id)
        size = path.stat().st_size
        key = f"{job_id}:{n}"
        if size > settings.max_seed_bytes:
            items.append(SourceItem(job_id=job_id, key=key, origin=origin, size=size))
        else:
            items.append(SourceItem.from_bytes(job_id, key, origin, path.read_bytes()))
    return items


def submit(
    items: list[SourceItem],
    job_id: str,
    ledger: JobLedger,
    send: Callable[[SourceItem], None],
    *,
    extra_sources: Sequence[str] = (),
) -> None:
    """Record the job's sources first, then queue them, so --wait can never miss one."""
    ledger.open_job(job_id, [item.key for item in items] + list(extra_sources))
    for item in items:
        send(item)
