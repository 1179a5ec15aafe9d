"""Document-level typing through the real workers: "la France" is found as France."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from tests.integration.conftest import Stack

pytestmark = pytest.mark.integration


def test_la_france_is_found_by_the_country_filter(stack: Stack, tmp_path: Path) -> None:
    marker = uuid.uuid4().hex[:12]
    seed = tmp_path / "france.txt"
    seed.write_text(
        f"Le gouvernement défend son budget {marker}\n\n"
        "Le ministre a rappelé mardi que la France soutiendra le Maroc dans les négociations "
        "commerciales, selon Le Monde, qui cite des diplomates à Rabat.\n", encoding="utf-8")
    assert stack.json("ingest", str(seed), "--wait")["indexed"] == 1
    for entity in ("LOC:France", "country:FR"):
        hits = stack.hits(marker, "--entity", entity)
        assert [h["title"] for h in hits] == [f"Le gouvernement défend son budget {marker}"]
    [doc] = stack.hits(marker)
    shown = stack.json("show", doc["id"])
    names = {(e["label"], e["name"]) for e in shown["entities"]}
    assert ("LOC", "France") in names and ("ORG", "Le Monde") in names
