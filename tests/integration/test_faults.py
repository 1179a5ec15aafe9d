"""Fault injection: real Redis, Elasticsearch and Celery worker processes, killed mid-run.

Every test sends a known number of articles and ends by counting: indexed + quarantined
equals sent, the index holds each article exactly once, and the recovery time stays within
a generous bound. The stack is this module's own (a short visibility timeout, so that the
work of a worker killed outright comes back within a test's patience; two NLP processes so
that a pool child can die alone), started and stopped by `dev up` / `dev down`.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from tests.integration.conftest import ROOT, Stack
from tests.integration.fault_plugin import POISON_MARKER
from worker.jobs.ledger import JobLedger
from worker.jobs.summary import JobSummary

pytestmark = pytest.mark.integration

VISIBILITY_S = 45
ARTICLES = 96
TIMELINE: dict[str, dict[str, Any]] = {}  # what each test observed, printed at the end

CITIES = ["Rotterdam", "Jakarta", "Lyon", "Valencia", "Hamburg", "Surabaya", "Porto", "Gdansk"]
TOPICS = ["harbour strike", "river flood", "rail tender", "wage deal", "port expansion",
          "fishing quota", "ferry fire", "steel tariff"]


@pytest.fixture(scope="module")
def faults(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    state = tmp_path_factory.mktemp("fault-stack")
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSWORKER_")}
    env |= {
        "NEWSWORKER_STATE_DIR": str(state),
        "NEWSWORKER_FEED_POLLING_ENABLED": "false",
        "NEWSWORKER_NLP_CONCURRENCY": "2",
        "NEWSWORKER_BATCH_SIZE": "8",
        # At-least-once with a visibility timeout the tests can wait for: a task ends (time
        # limit) and retries (backoff, Retry-After) well inside it, as the startup check wants.
        "NEWSWORKER_VISIBILITY_TIMEOUT_S": str(VISIBILITY_S),
        "NEWSWORKER_TASK_SOFT_TIME_LIMIT_S": "15",
        "NEWSWORKER_TASK_TIME_LIMIT_S": "20",
        "NEWSWORKER_RETRY_BACKOFF_MAX_S": "10",
        "NEWSWORKER_RETRY_AFTER_MAX_S": "10",
        "NEWSWORKER_WORKER_PLUGINS": "tests.integration.fault_plugin",
        "NEWSWORKER_TEST_POISON_FILE": str(state / "poison-on"),
        "NEWSWORKER_TEST_ENRICH_DELAY_S": "0.3",  # per article
    }
    s = Stack(env)
    s.up()
    try:
        yield s
    finally:
        s.cli("dev", "down", check=False)
        print("\nfault matrix:", json.dumps(TIMELINE, indent=1))


# -- helpers ---------------------------------------------------------------------------
def services(stack: Stack) -> dict[str, dict[str, Any]]:
    return {row["name"]: row for row in stack.json("dev", "status")}


def ledger(stack: Stack) -> JobLedger:
    return JobLedger(redis.Redis.from_url(services(stack)["redis"]["url"],
                                          socket_connect_timeout=1, socket_timeout=2))


def write_articles(folder: Path, n: int, tag: str, poison: int | None = None) -> Path:
    """``n`` distinct English news stories of a few hundred words each."""
    folder.mkdir(parents=True)
    for k in range(n):
        city, topic = CITIES[k % len(CITIES)], TOPICS[(k // len(CITIES)) % len(TOPICS)]
        title = f"{city} {topic} report {tag} number {k}"
        paragraphs = [
            f"Officials in {city} said on Monday that the {topic} had entered its "
            f"{k + 2}th day, as unions and employers met again under a mediator.",
            f"The Ministry of Transport said it was following talks closely. Dock workers "
            f"and drivers gathered outside the town hall, and the mayor of {city} asked both "
            "sides to return to the table before the weekend.",
            f"Local businesses reported losses. A spokesperson for the chamber of commerce "
            f"said exporters had moved {k * 7 + 30} containers to other ports this week.",
            "Analysts expect a deal within days, though several earlier rounds failed. "
            f"Reference {tag}-{k}.",
        ]
        if k == poison:
            paragraphs.append(POISON_MARKER)
        (folder / f"story_{k:04d}.txt").write_text(title + "\n\n" + "\n\n".join(paragraphs) + "\n")
    return folder


def start(stack: Stack, folder: Path) -> str:
    return str(stack.json("ingest", str(folder))["job_id"])


def summary(stack: Stack, job_id: str) -> JobSummary | None:
    try:
        return ledger(stack).summary(job_id)
    except redis.RedisError:
        return None  # Redis is what a test took away


def wait_until(predicate: Any, timeout_s: float, what: str, poll_s: float = 0.2) -> float:
    start_at = time.monotonic()
    while time.monotonic() - start_at < timeout_s:
        if predicate():
            return time.monotonic() - start_at
        time.sleep(poll_s)
    raise AssertionError(f"{what}: not within {timeout_s} s")


def finished(stack: Stack, job_id: str) -> int:
    s = summary(stack, job_id)
    return 0 if s is None else s.indexed + s.updated + s.duplicates + s.quarantined


def some_done(stack: Stack, job_id: str, at_least: int = 8) -> None:
    """Wait until the run is under way (some indexed) and far from over."""
    wait_until(lambda: finished(stack, job_id) >= at_least, 120, "first articles indexed")
    assert finished(stack, job_id) < ARTICLES, "the run ended before the fault: too fast"


def done(stack: Stack, job_id: str, timeout_s: float) -> tuple[JobSummary, float]:
    took = wait_until(lambda: (s := summary(stack, job_id)) is not None and s.done,
                      timeout_s, f"job {job_id} done", poll_s=0.5)
    final = summary(stack, job_id)
    assert final is not None
    return final, took


def indexed_once(stack: Stack, folder: Path, expected: int) -> int:
    """Documents of this folder in the index, once a refresh shows ``expected`` (or after
    10 s); a duplicate would be a second document of the same origin, which this counts."""
    total = -1
    for _ in range(20):
        total = int(stack.json("search", "--origin", str(folder), "--limit", "1")["total"])
        if total == expected:
            break
        time.sleep(0.5)
    return total


def account(stack: Stack, folder: Path, final: JobSummary, sent: int, *,
            quarantined: int = 0) -> None:
    assert final.submitted == sent, final
    assert final.indexed + final.updated + final.duplicates + final.quarantined == sent, final
    assert final.quarantined == quarantined, final
    assert indexed_once(stack, folder, sent - quarantined) == sent - quarantined


def pool_children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def restart(stack: Stack) -> dict[str, dict[str, Any]]:
    """`dev up`: restarts only what is not running."""
    return {row["name"]: row for row in stack.json("dev", "up")}


# -- the fault matrix ------------------------------------------------------------------
def test_sigkill_of_a_pool_child_mid_batch(faults: Stack, tmp_path: Path) -> None:
    folder = write_articles(tmp_path / "child", ARTICLES, uuid.uuid4().hex[:8])
    nlp = services(faults)["worker-nlp"]["pid"]
    job = start(faults, folder)
    some_done(faults, job)
    children = pool_children(nlp)
    assert len(children) == 2
    os.kill(children[0], signal.SIGKILL)
    final, took = done(faults, job, 180)
    account(faults, folder, final, ARTICLES)
    assert services(faults)["worker-nlp"]["pid"] == nlp  # the pool replaced its child
    TIMELINE["sigkill pool child"] = {"sent": ARTICLES, "indexed": final.indexed,
                                      "quarantined": final.quarantined,
                                      "seconds_to_done_after_kill": round(took, 1)}


def test_sigkill_of_the_whole_worker_mid_batch(faults: Stack, tmp_path: Path) -> None:
    folder = write_articles(tmp_path / "whole", ARTICLES, uuid.uuid4().hex[:8])
    before = services(faults)
    job = start(faults, folder)
    some_done(faults, job)
    os.killpg(before["worker-nlp"]["pid"], signal.SIGKILL)
    killed_at = time.monotonic()
    after = restart(faults)
    assert after["worker-nlp"]["pid"] != before["worker-nlp"]["pid"]
    assert all(after[n]["pid"] == before[n]["pid"] for n in ("redis", "elasticsearch",
                                                             "worker-index", "worker-fetch"))
    # The messages it held come back after the visibility timeout.
    final, _ = done(faults, job, VISIBILITY_S + 150)
    took = time.monotonic() - killed_at
    account(faults, folder, final, ARTICLES)
    TIMELINE["sigkill whole nlp worker"] = {"sent": ARTICLES, "indexed": final.indexed,
                                            "quarantined": final.quarantined,
                                            "seconds_to_done_after_kill": round(took, 1),
                                            "visibility_timeout_s": VISIBILITY_S}


def test_sigterm_mid_batch_finishes_or_returns_the_work(faults: Stack, tmp_path: Path) -> None:
    folder = write_articles(tmp_path / "term", ARTICLES, uuid.uuid4().hex[:8])
    nlp = services(faults)["worker-nlp"]["pid"]
    job = start(faults, folder)
    some_done(faults, job)
    os.kill(nlp, signal.SIGTERM)
    stopped = wait_until(lambda: not _alive(nlp), 20 + 15, "warm shutdown within the grace")
    # Nothing is lost while it is gone: its running tasks finished, the rest went back.
    s = summary(faults, job)
    assert s is not None and not s.done
    restart(faults)
    final, took = done(faults, job, 120)
    account(faults, folder, final, ARTICLES)
    TIMELINE["sigterm nlp worker"] = {"sent": ARTICLES, "indexed": final.indexed,
                                      "quarantined": final.quarantined,
                                      "seconds_to_stop": round(stopped, 1),
                                      "seconds_to_done_after_restart": round(took, 1)}


def test_redis_killed_and_restarted_mid_run_keeps_the_queued_work(faults: Stack,
                                                                 tmp_path: Path) -> None:
    folder = write_articles(tmp_path / "redis", ARTICLES, uuid.uuid4().hex[:8])
    before = services(faults)
    job = start(faults, folder)
    some_done(faults, job)
    time.sleep(1.5)  # appendfsync everysec: what was written a second ago is on disk
    os.killpg(before["redis"]["pid"], signal.SIGKILL)
    time.sleep(3)
    after = restart(faults)
    assert after["redis"]["port"] == before["redis"]["port"]  # the workers' address holds
    assert after["worker-nlp"]["pid"] == before["worker-nlp"]["pid"]  # not restarted
    restarted_at = time.monotonic()
    final, _ = done(faults, job, VISIBILITY_S + 150)
    account(faults, folder, final, ARTICLES)
    TIMELINE["redis sigkill + restart"] = {"sent": ARTICLES, "indexed": final.indexed,
                                           "quarantined": final.quarantined,
                                           "seconds_to_done_after_restart":
                                               round(time.monotonic() - restarted_at, 1)}


def test_elasticsearch_away_for_60_s_then_back_resumes_by_itself(faults: Stack,
                                                                tmp_path: Path) -> None:
    folder = write_articles(tmp_path / "es", ARTICLES, uuid.uuid4().hex[:8])
    before = services(faults)
    job = start(faults, folder)
    some_done(faults, job)
    os.killpg(before["elasticsearch"]["pid"], signal.SIGTERM)
    wait_until(lambda: not _alive(before["elasticsearch"]["pid"]), 60, "elasticsearch stopped")
    time.sleep(60)
    # While it is away, `job` and `dev status` say what the work waits on.
    waiting = summary(faults, job)
    assert waiting is not None and not waiting.done
    assert waiting.waiting is not None and "elasticsearch" in waiting.waiting.reason
    assert services(faults)["elasticsearch"]["running"] is False
    status = " ".join(faults.cli("dev", "status").stdout.split())
    assert f"job {job} waiting: elasticsearch unreachable" in status, status
    after = restart(faults)
    assert after["elasticsearch"]["port"] == before["elasticsearch"]["port"]
    assert after["worker-index"]["pid"] == before["worker-index"]["pid"]
    back_at = time.monotonic()
    final, _ = done(faults, job, 120)
    resumed = time.monotonic() - back_at
    account(faults, folder, final, ARTICLES)
    assert resumed < 60, f"work resumed {resumed:.0f} s after Elasticsearch came back"
    TIMELINE["elasticsearch away 60 s"] = {"sent": ARTICLES, "indexed": final.indexed,
                                           "quarantined": final.quarantined,
                                           "seconds_to_done_after_es_back": round(resumed, 1)}


def test_a_poison_article_is_parked_and_replayed_once_its_cause_is_gone(
        faults: Stack, tmp_path: Path) -> None:
    n = 24
    folder = write_articles(tmp_path / "poison", n, uuid.uuid4().hex[:8], poison=5)
    poison_file = Path(faults.env["NEWSWORKER_TEST_POISON_FILE"])
    poison_file.touch()
    try:
        job = start(faults, folder)
        final, took = done(faults, job, 240)
    finally:
        poison_file.unlink()
    assert final.quarantined == 1 and final.indexed == n - 1, final
    entries = faults.json("quarantine", "list", "--job", job)
    assert [e["reason_code"] for e in entries] == ["poison_message"]
    assert entries[0]["stage"] == "enrich" and "died every time" in entries[0]["reason"]
    assert indexed_once(faults, folder, n - 1) == n - 1
    # The queue kept flowing: a later job is not stuck behind it.
    replay = faults.json("quarantine", "replay", "--job", job, "--reason", "poison_message",
                         "--wait")
    assert replay["replayed"] == 1, replay
    assert replay["job"]["indexed"] == 1, replay
    assert indexed_once(faults, folder, n) == n
    TIMELINE["poison article"] = {"sent": n, "indexed": final.indexed,
                                  "quarantined": final.quarantined,
                                  "seconds_to_done": round(took, 1), "replayed_indexed": 1}


def test_a_document_the_mapping_rejects_is_quarantined_with_its_reason(
        faults: Stack, tmp_path: Path) -> None:
    from worker.pipeline.messages import ArticleEnvelope
    from worker.queue.batches import BatchStore
    from worker.queue.celery_config import make_app
    from worker.queue.outbox import CeleryOutbox
    from worker.record import Article, Entity
    from worker.settings import Settings

    n = 12
    folder = write_articles(tmp_path / "mapping", n, uuid.uuid4().hex[:8])
    lines = faults.cli("ingest", "--dry-run", "--enrich", str(folder), "--json").stdout
    articles = [Article.model_validate_json(line) for line in lines.splitlines()]
    assert len(articles) == n
    # A keyword longer than Lucene's 32,766-byte term limit: Elasticsearch refuses the doc.
    immense = "x" * 40_000
    articles[3].entities.append(Entity(key=f"MISC:{immense}", name=immense, label="MISC",
                                       surface_forms=[immense], count=1))
    job = f"mapping{uuid.uuid4().hex[:8]}"
    book = ledger(faults)
    book.open_job(job, ["src"])
    envelopes = [ArticleEnvelope(job_id=job, ledger_key=f"a{k}", article=a)
                 for k, a in enumerate(articles)]
    book.register_articles(job, "src", [e.ledger_key for e in envelopes])
    redis_url = services(faults)["redis"]["url"]
    app = make_app(Settings(_env_file=None, redis_url=redis_url))
    try:
        CeleryOutbox(app, BatchStore.from_url(redis_url)).index(envelopes)
    finally:
        app.close()
    final, _ = done(faults, job, 60)
    assert final.indexed == n - 1 and final.quarantined == 1, final
    assert indexed_once(faults, folder, n - 1) == n - 1
    entries = faults.json("quarantine", "list", "--job", job)
    assert len(entries) == 1 and entries[0]["stage"] == "index"
    assert "immense term" in entries[0]["reason"], entries[0]["reason"][:2000]
    assert len(entries[0]["reason"]) < 2000  # Elasticsearch quotes the 40,000 characters
    TIMELINE["mapping-rejected document"] = {"sent": n, "indexed": final.indexed,
                                             "quarantined": final.quarantined,
                                             "reason": entries[0]["reason"][:120]}


def test_unsafe_settings_stop_a_worker_before_it_takes_a_task(faults: Stack) -> None:
    env = faults.env | {"NEWSWORKER_REDIS_URL": services(faults)["redis"]["url"],
                        "NEWSWORKER_VISIBILITY_TIMEOUT_S": "30",
                        "NEWSWORKER_TASK_TIME_LIMIT_S": "60",
                        "NEWSWORKER_TASK_SOFT_TIME_LIMIT_S": "50"}
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "celery"), "-A", "worker.queue.app", "worker",
         "--queues", "index", "--hostname", "unsafe@%h", "--concurrency", "1"],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 78, proc.stderr[-2000:]
    assert "NEWSWORKER_VISIBILITY_TIMEOUT_S (30) must exceed" in proc.stderr


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and ") Z " not in stat.read_text()
