"""`quarantine list | show | replay` on a real stack: refusals are listed and shown with their
reason and bytes; a replay after the cause is gone indexes an article once, a second replay
skips it, `--again` counts it as a duplicate, and an item that fails again is attempt 2."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import Stack, accounted

pytestmark = pytest.mark.integration

# A default pipeline that does not exist: Elasticsearch refuses every article with a 400 (a
# real index-stage refusal, an operator's slip), removed by taking the setting off again.
MISSING_PIPELINE = "newsworker-test-missing-pipeline"


def _replay(stack: Stack, *args: str) -> dict[str, Any]:
    proc = stack.cli("quarantine", "replay", *args, "--wait", "--timeout", "300", "--json")
    report: dict[str, Any] = json.loads(proc.stdout)
    if report["job"]:
        accounted(report["job"])
    return report


def test_parse_refusals_are_listed_shown_and_replayed_as_attempt_two(
    stack: Stack, tmp_path: Path
) -> None:
    marker = uuid.uuid4().hex
    binary = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4
    (tmp_path / "image.txt").write_bytes(binary)
    (tmp_path / "lines.jsonl").write_text(
        json.dumps({"title": f"Harbour cranes {marker}", "body": "Repainted this week.",
                    "url": f"https://example.org/{marker}"}) + "\n{broken line\n",
        encoding="utf-8")
    ingested = stack.json("ingest", str(tmp_path), "--wait", "--timeout", "300")
    accounted(ingested)
    assert (ingested["submitted"], ingested["indexed"], ingested["quarantined"]) == (3, 1, 2)

    listed = stack.json("quarantine", "list", "--stage", "parse", "--job", ingested["job_id"])
    by_code = {e["reason_code"]: e for e in listed}
    assert set(by_code) == {"not_text", "invalid_json"}
    assert all(e["attempts"] == 1 and "raw_base64" not in e for e in listed)
    assert stack.json("quarantine", "--job", ingested["job_id"]) == listed  # plain = list

    shown = stack.json("quarantine", "show", by_code["not_text"]["id"])
    assert shown["raw_sha256"] == hashlib.sha256(binary).hexdigest()
    assert shown["raw_size"] == len(binary) and shown["raw_head"].startswith("(binary) 89 50")
    text = stack.cli("quarantine", "show", by_code["invalid_json"]["id"]).stdout
    assert "reason_code: invalid_json" in text and "{broken line" in text
    missing = stack.cli("quarantine", "show", "no-such-entry", check=False)
    assert missing.returncode == 1 and "no quarantine entry no-such-entry" in missing.stderr

    # The cause is still there: each replayed item is quarantined again, as attempt 2.
    first = _replay(stack, "--stage", "parse", "--job", ingested["job_id"])
    assert (first["matched"], first["replayed"], first["replayed_to"]) == (2, 2, {"parse": 2})
    assert (first["job"]["submitted"], first["job"]["quarantined"]) == (2, 2)
    again = stack.json("quarantine", "list", "--job", first["job_id"])
    assert sorted(e["reason_code"] for e in again) == ["invalid_json", "not_text"]
    for entry in again:
        before = by_code[entry["reason_code"]]
        assert entry["attempts"] == 2
        assert datetime.fromisoformat(entry["first_quarantined_at"]) == datetime.fromisoformat(
            before["quarantined_at"]).replace(microsecond=0)
    marked = stack.json("quarantine", "list", "--job", ingested["job_id"])
    assert {e["replay_job"] for e in marked} == {first["job_id"]}

    second = _replay(stack, "--stage", "parse", "--job", ingested["job_id"])
    assert second["replayed"] == 0 and second["job_id"] is None
    assert second["skipped"] == {"already_replayed": 2, "no_payload": 0}


def test_an_article_refused_at_index_is_indexed_once_after_the_cause_is_removed(
    stack: Stack, tmp_path: Path
) -> None:
    es = stack.es()
    marker = uuid.uuid4().hex
    es.indices.put_settings(index="news-articles",
                            settings={"index.default_pipeline": MISSING_PIPELINE})
    try:
        (tmp_path / "story.txt").write_text(
            f"Ferry timetable changes {marker}\n\nThe harbour ferry leaves twenty minutes "
            f"earlier from Monday, the operator said. Code {marker}.\n", encoding="utf-8")
        ingested = stack.json("ingest", str(tmp_path), "--wait", "--timeout", "300")
    finally:
        es.indices.put_settings(index="news-articles",
                                settings={"index.default_pipeline": None})
    accounted(ingested)
    assert (ingested["submitted"], ingested["quarantined"]) == (1, 1)
    [entry] = stack.json("quarantine", "list", "--stage", "index", "--job", ingested["job_id"])
    assert entry["reason_code"] == "index_rejected" and MISSING_PIPELINE in entry["reason"]
    assert stack.hits(marker) == []

    dry = stack.json("quarantine", "replay", "--stage", "index", "--job", ingested["job_id"],
                     "--dry-run")
    assert (dry["replayed"], dry["job_id"], stack.hits(marker)) == (1, None, [])
    replayed = _replay(stack, "--stage", "index", "--job", ingested["job_id"])
    assert replayed["replayed_by_stage"] == {"index": 1} and replayed["replayed_to"] == {
        "enrich": 1}
    assert (replayed["job"]["submitted"], replayed["job"]["indexed"]) == (1, 1)
    assert [h["id"] for h in stack.hits(marker)] == [entry["record"]["id"]]

    skipped = _replay(stack, "--stage", "index", "--job", ingested["job_id"])
    assert (skipped["replayed"], skipped["skipped"]["already_replayed"]) == (0, 1)

    forced = _replay(stack, "--stage", "index", "--job", ingested["job_id"], "--again")
    assert forced["replayed"] == 1
    assert (forced["job"]["submitted"], forced["job"]["duplicates"]) == (1, 1)
    assert len(stack.hits(marker)) == 1  # never a second document
    shown = stack.json("quarantine", "show", entry["id"])
    assert shown["replays"] == 2 and shown["replay_job"] == forced["job_id"]
