"""How a replayed item remembers its earlier quarantines: in its ledger key.

A replay job names each item it sends ``{key}.retry{attempts}@{epoch}`` (attempts so far, when
the item was first quarantined). Keys of what the item yields extend it (``#n``, ``!n``), so a
record or article of a replayed file carries the same lineage, and a new quarantine entry for
any of them records ``attempts + 1`` and the first time: an item that keeps failing shows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

_LINEAGE = re.compile(r"\.retry(?P<attempts>\d+)@(?P<first>\d+)")


@dataclass(frozen=True)
class Lineage:
    """How often an item was quarantined before, and when first."""

    attempts: int
    first_quarantined_at: datetime


def with_lineage(key: str, attempts: int, first_quarantined_at: datetime) -> str:
    """``key`` marked as carrying an item quarantined ``attempts`` times, first at that time."""
    return f"{key}.retry{max(1, attempts)}@{int(first_quarantined_at.timestamp())}"


def lineage_of(item_key: str) -> Lineage | None:
    """The earlier quarantines a ledger key carries; None for an item never replayed."""
    found = _LINEAGE.search(item_key)
    if found is None:
        return None
    first = datetime.fromtimestamp(int(found["first"]), UTC)
    return Lineage(attempts=int(found["attempts"]), first_quarantined_at=first)
