"""What a job's counts mean: the outcomes an item can have and when a job is done."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Literal

Outcome = Literal["indexed", "updated", "duplicate", "quarantined"]


@dataclass(frozen=True)
class Waiting:
    """The last transient failure of a job's tasks: work that waits on a service (a retried
    task sits in its worker until its countdown ends, so the queues alone look empty)."""

    reason: str
    since: float
    retries: int
    last_at: float

    def describe(self) -> str:
        """'elasticsearch unreachable: … (since 14:02:11, 7 retries)'."""
        since = datetime.fromtimestamp(self.since).strftime("%H:%M:%S")
        plural = "retry" if self.retries == 1 else "retries"
        return f"{self.reason} (since {since}, {self.retries} {plural})"


@dataclass(frozen=True)
class JobSummary:
    """Counts for one job; ``done`` when every submitted item has an outcome."""

    job_id: str
    sources: int
    sources_pending: int
    submitted: int
    indexed: int
    updated: int
    duplicates: int
    quarantined: int
    errors: list[str]
    waiting: Waiting | None = None

    @property
    def done(self) -> bool:
        """True when nothing of the job is still queued."""
        finished = self.indexed + self.updated + self.duplicates + self.quarantined
        return self.sources_pending == 0 and finished >= self.submitted

    def as_dict(self) -> dict[str, object]:
        """The summary as JSON-ready data; ``waiting`` only while the job is not done."""
        data = {**asdict(self), "done": self.done}
        if self.done or self.waiting is None:
            data["waiting"] = None
        else:
            data["waiting"] = {**asdict(self.waiting), "description": self.waiting.describe()}
        return data
