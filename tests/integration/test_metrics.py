"""Each worker's Prometheus endpoint after a known ingest: the counts equal what went in.

The stack is shared by the session, so every figure is the change across this test's ingest;
a worker's count is the sum over its pool processes (multiprocess mode)."""

from __future__ import annotations

import time
import urllib.request
import uuid
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.integration.conftest import Stack

pytestmark = pytest.mark.integration
WORKERS = {"worker-fetch": "fetch", "worker-nlp": "nlp", "worker-index": "index"}
Samples = list[tuple[str, dict[str, str], float]]
STORIES = [
    ("Ferry service resumes", "The ferry between Helsinki and Tallinn sailed again on Tuesday "
     "after a week of storms, the operator said, and the morning crossings were full."),
    ("Bridge repairs finished", "Engineers finished the repairs of the old railway bridge over "
     "the Vistula in Warsaw, two months earlier than the city had planned."),
    ("Harvest starts early", "Farmers in the south of Portugal began the grape harvest ten "
     "days early this year because of the hot and dry summer, growers reported."),
]


def scrape(url: str) -> Samples:
    """Every sample the endpoint serves, as (name, labels, value)."""
    with urllib.request.urlopen(url, timeout=10) as response:
        text = response.read().decode()
    return [(s.name, s.labels, s.value) for family in text_string_to_metric_families(text)
            for s in family.samples]


def total(samples: Samples, name: str, **labels: str) -> float:
    """The sum of the samples of ``name`` whose labels include ``labels``."""
    return sum(v for n, lab, v in samples if n == name and labels.items() <= lab.items())


def test_endpoints_count_a_known_ingest(stack: Stack, tmp_path: Path) -> None:
    urls = {row["name"]: row["url"] for row in stack.json("dev", "status")
            if row["name"] in WORKERS}
    assert set(urls) == set(WORKERS) and all(u.endswith("/metrics") for u in urls.values())
    before = {name: scrape(url) for name, url in urls.items()}

    marker = uuid.uuid4().hex
    for n, (title, body) in enumerate(STORIES):
        (tmp_path / f"story{n}.txt").write_text(f"{title} {marker}\n\n{body} Ref {marker}.\n",
                                                encoding="utf-8")
    (tmp_path / "empty.txt").write_bytes(b"")
    summary = stack.json("ingest", str(tmp_path), "--wait", "--timeout", "300")
    assert (summary["submitted"], summary["indexed"], summary["quarantined"]) == (4, 3, 1)
    [entry] = stack.json("quarantine", "--job", summary["job_id"])

    def change(worker: str, name: str, **labels: str) -> float:
        return total(after[worker], name, **labels) - total(before[worker], name, **labels)

    # The job is done when the ledger says so; a task's own counts land as it returns.
    deadline = time.monotonic() + 30
    while True:
        after = {name: scrape(url) for name, url in urls.items()}
        settled = (change("worker-index", "newsworker_articles_written_total") >= 3
                   and change("worker-index", "newsworker_task_duration_seconds_count") >= 1)
        if settled or time.monotonic() > deadline:
            break
        time.sleep(0.5)

    assert change("worker-fetch", "newsworker_articles_parsed_total", source_kind="seed") == 3
    assert change("worker-fetch", "newsworker_quarantined_total", stage="parse") == 1
    assert change("worker-fetch", "newsworker_quarantined_total", stage="parse",
                  reason_code=entry["reason_code"]) == 1
    assert change("worker-index", "newsworker_articles_written_total", outcome="indexed") == 3
    assert change("worker-index", "newsworker_articles_written_total") == 3
    assert sum(change(w, "newsworker_quarantined_total") for w in WORKERS) == 1

    assert change("worker-nlp", "newsworker_nlp_words_total") > 3 * 20
    assert change("worker-nlp", "newsworker_nlp_seconds_total") > 0
    assert total(after["worker-nlp"], "newsworker_nlp_last_batch_words_per_second") > 0

    # The four small files parsed by one task; at least one batch through NLP and indexing.
    assert change("worker-fetch", "newsworker_task_duration_seconds_count",
                  task="newsworker.parse_source") == 1
    assert change("worker-nlp", "newsworker_task_duration_seconds_count",
                  task="newsworker.enrich_articles") >= 1
    assert change("worker-index", "newsworker_task_duration_seconds_count",
                  task="newsworker.index_articles") >= 1

    for worker, queue in WORKERS.items():
        rss = [(lab["pid"], v) for n, lab, v in after[worker] if n == "newsworker_worker_rss_bytes"]
        assert len(rss) >= 2, (worker, rss)  # the main process and its pool process(es)
        assert all(v > 10_000_000 for _, v in rss), (worker, rss)
        depth = [v for n, lab, v in after[worker]
                 if n == "newsworker_queue_depth" and lab == {"queue": queue}]
        assert len(depth) == 1 and depth[0] >= 0, (worker, depth)
