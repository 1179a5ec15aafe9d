"""Bounded failure on a real stack: refused paths end at once, a file of 73,295 bad records
is one quarantine entry in a job that finishes, and a job whose writes a service refuses
says so in `job` and `stats` until they go through."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import Stack, accounted

pytestmark = pytest.mark.integration


def _summary(stack: Stack, *args: str) -> tuple[dict[str, Any], float]:
    started = time.monotonic()
    proc = stack.cli("ingest", *args, "--json", timeout=120)
    return json.loads(proc.stdout), time.monotonic() - started


def test_empty_root_and_missing_paths_are_refused_at_once(stack: Stack, tmp_path: Path) -> None:
    for args, reason in ((("",), "empty path"), (("/",), "filesystem root"),
                         ((str(tmp_path / "missing.txt"),), "no such file or folder")):
        started = time.monotonic()
        proc = stack.cli("ingest", *args, "--wait", check=False, timeout=60)
        assert proc.returncode == 1, (args, proc.stdout, proc.stderr)
        assert reason in proc.stderr and "nothing was queued" in proc.stderr
        assert "Traceback" not in proc.stderr
        assert time.monotonic() - started < 30


def test_73k_bad_records_are_one_entry_in_a_job_that_finishes(
    stack: Stack, tmp_path: Path
) -> None:
    path = tmp_path / "words.json"
    path.write_text(json.dumps([f"word {n}" for n in range(73_295)]), encoding="utf-8")
    summary, elapsed = _summary(stack, str(path), "--wait", "--timeout", "60")
    accounted(summary)
    assert (summary["submitted"], summary["quarantined"]) == (1, 1)
    assert elapsed < 60
    entries = stack.json("quarantine", "--job", summary["job_id"])
    [entry] = entries
    assert entry["reason_code"] == "no_articles" and "73295 bad records" in entry["reason"]
    assert entry["record"]["bad_records"] == 73_295
    assert entry["record"]["reason_codes"] == {"invalid_record": 73_295}
    assert len(entry["record"]["samples"]) == 5
    assert entry["origin"]["location"] == str(path)
    print(f"73,295-string file: {elapsed:.1f} s end to end, {len(entries)} quarantine entry")


def test_bad_records_beside_articles_are_capped_and_counted(
    stack: Stack, tmp_path: Path
) -> None:
    good = [json.dumps({"title": f"Harbour story {n}", "body": f"Cranes number {n} were "
                        f"repainted in the harbour this week, code {tmp_path.name}."})
            for n in range(2)]
    (tmp_path / "mixed.jsonl").write_text("\n".join(good + ["{broken"] * 250) + "\n")
    summary, _ = _summary(stack, str(tmp_path), "--wait", "--timeout", "120")
    accounted(summary)
    assert (summary["submitted"], summary["indexed"], summary["quarantined"]) == (103, 2, 101)
    entries = stack.json("quarantine", "--job", summary["job_id"], "--limit", "1000")
    assert len(entries) == 101
    [rest] = [e for e in entries if e["reason_code"] == "more_bad_records"]
    assert rest["record"]["bad_records"] == 150


def test_a_refused_feed_fetch_exits_non_zero_and_reports_the_job(stack: Stack) -> None:
    proc = stack.cli("ingest", "http://127.0.0.1:1/feed.xml", "--wait", "--timeout", "60",
                     "--json", check=False, timeout=120)
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    summary = json.loads(proc.stdout)  # what it did is still reported
    assert summary["done"] and summary["submitted"] == 0 and len(summary["errors"]) == 1


def test_a_job_waiting_on_a_refusing_service_says_so(stack: Stack, tmp_path: Path) -> None:
    es = stack.es()
    (tmp_path / "image.txt").write_bytes(b"\x00\x01\x02 not text" * 20)
    es.indices.put_settings(index="news-quarantine", settings={"index.blocks.write": True})
    try:
        job_id = _summary(stack, str(tmp_path))[0]["job_id"]
        deadline = time.monotonic() + 60
        while (waiting := stack.json("job", job_id)["waiting"]) is None:
            assert time.monotonic() < deadline, "the job never said what it waits on"
            time.sleep(0.5)
        assert "quarantine write failed" in waiting["reason"] and waiting["retries"] >= 1
        shown = stack.cli("job", job_id).stdout
        assert "waiting: quarantine write failed" in shown and "(since " in shown
        stats = stack.json("stats")
        assert job_id in [row["job_id"] for row in stats["waiting"]]
        assert "waiting: job " + job_id in stack.cli("stats").stdout
    finally:
        es.indices.put_settings(index="news-quarantine", settings={"index.blocks.write": None})
    deadline = time.monotonic() + 90
    while not (summary := stack.json("job", job_id))["done"]:
        assert time.monotonic() < deadline, summary
        time.sleep(0.5)
    accounted(summary)
    assert summary["quarantined"] == 1 and summary["waiting"] is None
    assert job_id not in [row["job_id"] for row in stack.json("stats")["waiting"]]
