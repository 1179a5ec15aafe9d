"""`ingest --dry-run` reads every fixture (good, broken, hostile) without a crash or a hang."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"


def test_every_fixture_gives_records_or_named_errors() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "worker", "ingest", "--dry-run", str(FIXTURES), "--json"],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    files = {str(p) for p in FIXTURES.rglob("*") if p.is_file() and not p.name.startswith(".")}
    seen = {line["origin"] if "error" in line else line["origin"]["location"] for line in lines}
    # Every file answered: archive members and feed entries name their file first.
    assert all(any(s == f or s.startswith(f) for s in seen) for f in files), files - seen
    errors = [line for line in lines if "error" in line]
    assert all(line["reason_code"] and line["error"] for line in errors)
    codes = {line["reason_code"] for line in errors}
    assert {"hostile_xml", "not_a_feed", "unsupported_format"} <= codes
    assert sum("error" not in line for line in lines) >= 20
