"""The benchmark's smoke run: through a real private stack, nothing lost, every figure there.

Speed is not checked (CI machines vary); counts and the shape of the report are.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
REQUIRED_RATIOS = ("pipeline_vs_limit", "stage_vs_limit", "index_vs_raw_bulk",
                   "nlp_scaling_2_vs_1", "rss_growth_1k_to_10k")
RAW_FIGURES = ("limit_words_per_s", "stage_words_per_s", "e2e_words_per_s",
               "e2e_articles_per_s", "latency_p50_s", "latency_p95_s", "raw_bulk_docs_per_s",
               "index_stage_docs_per_s")
pytestmark = pytest.mark.integration


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@pytest.fixture(scope="module")
def report() -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSWORKER_")}
    proc = subprocess.run([sys.executable, "bench/run.py", "--smoke", "--json"], cwd=ROOT,
                          env=env, text=True, capture_output=True, timeout=600, check=False)
    assert proc.returncode == 0, f"smoke benchmark failed:\n{proc.stdout}\n{proc.stderr[-4000:]}"
    data: dict[str, Any] = json.loads(proc.stdout)
    return data


def test_nothing_lost_nothing_duplicated(report: dict[str, Any]) -> None:
    e2e = report["e2e"]
    sent = report["corpus"]["articles"]
    assert report["ok"] and not report["errors"] and e2e["ok"]
    assert e2e["sent"] == e2e["submitted"] == e2e["indexed"] == e2e["indexed_count"] == sent
    assert e2e["duplicates"] == e2e["quarantined"] == e2e["updated"] == 0
    assert e2e["missing_ids"] == e2e["unexpected_ids"] == 0
    indexing = report["indexing"]
    assert indexing["raw_count"] == indexing["stage_count"] == indexing["documents"] == sent
    assert indexing["stage_indexed"] == sent and indexing["stage_quarantined"] == 0
    assert report["indexing_pairs"] and not any(p["problems"] for p in report["indexing_pairs"])


def test_every_figure_is_there(report: dict[str, Any]) -> None:
    for key in REQUIRED_RATIOS + RAW_FIGURES:
        assert _number(report[key]), (key, report[key])
    assert set(report["limit"]) >= {"1", "2"}
    # End to end is compared with the limit taken before the stack and again right after.
    before, after = report["limit_same_processes_words_per_s"], report["limit_after_e2e"]
    assert all(_number(report[f"pipeline_vs_limit_{when}"]) for when in ("before", "after"))
    assert report["limit_bracketing_e2e_words_per_s"] == pytest.approx(
        (before + after["words_per_s"]) / 2, abs=0.2)
    assert set(report["corpus"]["words_by_language"]) >= {"en", "id"}
    for share in report["stage"]["step_shares"].values():
        assert _number(share)
    assert {"language_id", "ner", "gazetteer", "normalisation", "keyphrases",
            "text_stats"} <= set(report["stage"]["step_shares"])
    first, last = report["rss_checkpoints"]
    for point in ("start", f"after_{first}", f"after_{last}"):
        snapshot = report["rss"][point]
        assert any(label.startswith("worker-nlp/") for label in snapshot), snapshot
        assert all(_number(p["rss_mib"]) for p in snapshot.values()), snapshot
    # What takes the rest of end to end: CPU seconds per service during the run.
    cpu = report["e2e"]["cpu_seconds"]
    assert {"worker-nlp/pool", "elasticsearch", "worker-index"} <= set(cpu), cpu
    assert 0 < report["e2e"]["nlp_pool_busy_share"] <= 1.05
    machine = report["machine"]
    assert machine["cores"] and machine["python"] and machine["spacy"]
