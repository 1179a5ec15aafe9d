"""What a job's counts mean: the outcomes an item can have and when a job is done."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

Outcome = Literal["indexed", "updated", "duplicate", "quarantined"]


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

    @property
    def done(self) -> bool:
        """True when nothing of the job is still queued."""
        finished = self.indexed + self.updated + self.duplicates + self.quarantined
        return self.sources_pending == 0 and finished >= self.submitted

    def as_dict(self) -> dict[str, object]:
        """The summary as JSON-ready data."""
        return {**asdict(self), "done": self.done}
