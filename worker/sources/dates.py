"""Which of an article's date claims is its publication date: one rule for every source."""

from __future__ import annotations

from datetime import datetime, timedelta

from worker.record import DateCandidate

# Date rule, in order: the feed's published date, the page's own metadata, the feed's
# updated date; never a date more than a day in the future (flagged "future"). Candidates
# more than a day apart are flagged "conflicting"; every candidate is kept on the record.
DATE_PREFERENCE = ("feed_published", "page_meta", "warc_date", "feed_updated", "file")
FUTURE_TOLERANCE = timedelta(days=1)
CONFLICT_TOLERANCE = timedelta(days=1)


def choose_published(
    candidates: list[DateCandidate], now: datetime
) -> tuple[datetime | None, list[str]]:
    """The published date by the documented rule, and flags about the candidates."""
    flags: list[str] = []
    plausible = [c for c in candidates if c.value <= now + FUTURE_TOLERANCE]
    if len(plausible) < len(candidates):
        flags.append("future")
    values = [c.value for c in plausible]
    if values and max(values) - min(values) > CONFLICT_TOLERANCE:
        flags.append("conflicting")
    for source in DATE_PREFERENCE:
        for cand in plausible:
            if cand.source == source:
                return cand.value, flags
    return None, flags
