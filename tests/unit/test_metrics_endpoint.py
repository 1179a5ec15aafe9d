"""The endpoint as Prometheus scrapes it: queue depth from the broker's answer, and the
counts of several pool processes (multiprocess files) added up, dead processes' memory gone."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, generate_latest, start_http_server
from prometheus_client.parser import text_string_to_metric_families

from worker.metrics.collectors import (
    QueueDepthCollector,
    clean_folder,
    live_gauge_pids,
    scrape_registry,
    stale_files,
)
from worker.settings import PROJECT_ROOT

# One pool process: counts a refusal and an NLP batch, records its RSS, then (if asked)
# stays alive until its stdin closes, as a live child of the pool would.
CHILD = """
import sys
from worker.metrics.collectors import refresh_rss
from worker.metrics.counting import count_quarantined
from worker.metrics import definitions as m
count_quarantined([{"stage": "parse", "reason_code": "empty"}])
m.NLP_WORDS.inc(int(sys.argv[1]))
refresh_rss()
print("counted", flush=True)
if sys.argv[2] == "stay":
    sys.stdin.read()
"""


def samples(text: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    """Exposition text parsed into sample name -> [(labels, value)]."""
    found: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            found.setdefault(s.name, []).append((s.labels, s.value))
    return found


def test_queue_depth_lists_each_queue_the_broker_counted() -> None:
    registry = CollectorRegistry()
    registry.register(QueueDepthCollector(lambda: {"nlp": 7, "fetch": 0}))
    got = samples(generate_latest(registry).decode())["newsworker_queue_depth"]
    assert got == [({"queue": "fetch"}, 0.0), ({"queue": "nlp"}, 7.0)]


def test_a_broker_that_cannot_answer_leaves_the_rest_of_the_scrape() -> None:
    def away() -> dict[str, int]:
        raise ConnectionError("broker down")

    registry = scrape_registry(None, away)
    text = generate_latest(registry).decode()
    assert "# TYPE newsworker_queue_depth gauge" in text
    assert "newsworker_queue_depth{" not in text
    assert samples(text)["newsworker_worker_rss_bytes"][0][1] > 1_000_000


def test_start_cleans_earlier_runs_but_keeps_this_process_files(tmp_path: Path) -> None:
    names = ["counter_11.db", "gauge_liveall_11.db", "histogram_12.db", "counter_5.db", "x.txt"]
    for name in names:
        (tmp_path / name).write_bytes(b"")
    assert stale_files(names, keep_pid=5) == ["counter_11.db", "gauge_liveall_11.db",
                                              "histogram_12.db"]
    assert clean_folder(str(tmp_path), keep_pid=5) == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["counter_5.db", "x.txt"]
    assert live_gauge_pids(["gauge_liveall_11.db", "gauge_livemostrecent_12.db",
                            "gauge_all_13.db", "counter_14.db"]) == {11, 12}


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """An endpoint over a multiprocess folder, as a worker's main process serves it."""
    registry = scrape_registry(str(tmp_path), lambda: {"nlp": 2})
    server, thread = start_http_server(0, addr="127.0.0.1", registry=registry)
    try:
        yield f"http://127.0.0.1:{server.server_port}/metrics", tmp_path
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def child(folder: Path, words: int, stay: bool) -> subprocess.Popen[str]:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder)}
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(words), "stay" if stay else "exit"], env=env,
        cwd=PROJECT_ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "counted"
    return proc


def test_counts_of_pool_processes_add_up_and_only_live_ones_report_memory(
    served: tuple[str, Path]
) -> None:
    url, folder = served
    gone = child(folder, 120, stay=False)
    gone.wait(30)
    alive = child(folder, 80, stay=True)
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            got = samples(response.read().decode())
    finally:
        assert alive.stdin is not None
        alive.stdin.close()
        alive.wait(30)
    assert got["newsworker_quarantined_total"] == [
        ({"stage": "parse", "reason_code": "empty"}, 2.0)]
    assert got["newsworker_nlp_words_total"] == [({}, 200.0)]
    [(labels, rss)] = got["newsworker_worker_rss_bytes"]
    assert labels == {"pid": str(alive.pid)} and rss > 1_000_000
    assert got["newsworker_queue_depth"] == [({"queue": "nlp"}, 2.0)]
