"""RabbitMQ as the broker, through the same code: a private rabbitmq-server, one Celery worker
per queue on it, and the session's Redis (ledger) and Elasticsearch; every article sent is
indexed and the task messages provably went through RabbitMQ, not the session's Redis."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from kombu import Connection

from tests.integration.conftest import ROOT, Stack
from worker.queue.celery_config import make_app
from worker.queue.depth import queue_depths
from worker.queue.names import QUEUES
from worker.queue.services import worker_argv
from worker.settings import Settings

pytestmark = pytest.mark.integration
RABBITMQ_SERVER = Path("/usr/lib/rabbitmq/bin/rabbitmq-server")
START = ROOT / "scripts" / "rabbitmq-start"
EARLY, LATE = 4, 6
TASK_RECEIVED = re.compile(r"Task newsworker\.\w+\[([0-9a-f-]{36})\] received")


@dataclass(frozen=True)
class Rabbit:
    """A running private RabbitMQ node."""

    url: str
    state: Path

    def ctl(self, *args: str) -> str:
        """rabbitmqctl against this node (the wrapper scripts/rabbitmq-start wrote)."""
        proc = subprocess.run([str(self.state / "ctl"), *args], capture_output=True, text=True,
                              timeout=60, check=True)
        return proc.stdout


def _free_ports(n: int) -> list[int]:
    """``n`` distinct TCP ports nothing listens on now, on loopback."""
    sockets = [socket.socket() for _ in range(n)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [int(s.getsockname()[1]) for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _stop(proc: subprocess.Popen[bytes], grace_s: float = 30.0) -> None:
    """SIGTERM the process group (node and its epmd; a worker and its children), then
    SIGKILL whatever of the group is left."""
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    with suppress(subprocess.TimeoutExpired):
        proc.wait(grace_s)
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(10)


def _until(check: Any, what: str, timeout_s: float, log: Path,
           procs: list[subprocess.Popen[bytes]]) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        dead = [p for p in procs if p.poll() is not None]
        if dead:
            pytest.fail(f"{what}: a process exited ({dead[0].args!r}):\n{log.read_text()[-3000:]}")
        try:
            result = check()
            if result:
                return result
        except Exception:
            pass
        time.sleep(0.5)
    pytest.fail(f"{what} not ready in {timeout_s:.0f} s:\n{log.read_text()[-3000:]}")


@contextmanager
def rabbitmq(state: Path) -> Iterator[Rabbit]:
    """A rabbitmq-server of its own under ``state``, on free loopback ports."""
    if not RABBITMQ_SERVER.exists():
        pytest.fail("rabbitmq-server is not installed: run scripts/setup (Debian package "
                    "rabbitmq-server)")
    port, dist_port, epmd_port = _free_ports(3)
    state.mkdir(parents=True, exist_ok=True)
    log = state / "rabbitmq.log"
    with log.open("ab") as out:
        proc = subprocess.Popen(
            ["bash", str(START), str(state), str(port), str(dist_port), str(epmd_port)],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    url = f"amqp://guest:guest@127.0.0.1:{port}//"
    try:
        def accepts() -> bool:
            with Connection(url, connect_timeout=2) as conn:
                conn.ensure_connection(max_retries=1)
            return True
        _until(accepts, "rabbitmq-server", 90, log, [proc])
        yield Rabbit(url, state)
    finally:
        _stop(proc)


def _dev_env(stack: Stack) -> dict[str, str]:
    """The addresses `dev up` wrote for the session's Redis and Elasticsearch."""
    text = (Path(stack.env["NEWSWORKER_STATE_DIR"]) / "dev.env").read_text()
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


@contextmanager
def workers_on(env: dict[str, str], logs: Path) -> Iterator[list[Path]]:
    """One Celery worker per queue with ``env``; their log files."""
    logs.mkdir(parents=True, exist_ok=True)
    procs: list[subprocess.Popen[bytes]] = []
    paths = [logs / f"worker-{queue}.log" for queue in QUEUES]
    try:
        for queue, path in zip(QUEUES, paths, strict=True):
            with path.open("ab") as out:
                procs.append(subprocess.Popen(
                    worker_argv(queue), env=env, cwd=ROOT, stdout=out,
                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
                ))
        settings = Settings(redis_url=env["NEWSWORKER_REDIS_URL"],
                            broker_url=env["NEWSWORKER_BROKER_URL"])
        app = make_app(settings)

        def all_answer() -> bool:
            replies = app.control.ping(timeout=1.0) or []
            return set(QUEUES) <= {name.split("@")[0] for reply in replies for name in reply}
        try:
            _until(all_answer, "workers on RabbitMQ", 180, paths[0], procs)
        finally:
            app.close()
        yield paths
    finally:
        for proc in procs:
            _stop(proc)


def _articles(folder: Path, tag: str, n: int, start: int) -> None:
    folder.mkdir(parents=True)
    for i in range(start, start + n):
        (folder / f"story_{i}.txt").write_text(
            f"Ferry timetable number {i} published {tag}\n\n"
            f"The harbour office published ferry timetable number {i} for the winter season "
            f"on Monday, with later crossings on weekdays. Reference {tag}.\n",
            encoding="utf-8",
        )


def _received(logs: list[Path]) -> set[str]:
    """The ids of the tasks these worker logs say they received."""
    return {m.group(1) for path in logs if path.exists()
            for m in TASK_RECEIVED.finditer(path.read_text(errors="replace"))}


def _job_done(on_rabbit: Stack, job_id: str, timeout_s: float) -> Any:
    """The job's summary once done (or at the deadline)."""
    deadline = time.monotonic() + timeout_s
    while True:
        summary = on_rabbit.json("job", job_id)
        if summary["done"] or time.monotonic() > deadline:
            return summary
        time.sleep(1)


def test_rabbitmq_carries_the_tasks_and_every_article_is_indexed(
    stack: Stack, tmp_path: Path
) -> None:
    tag = f"rabbit{uuid.uuid4().hex[:12]}"
    _articles(tmp_path / "early", tag, EARLY, 0)
    _articles(tmp_path / "late", tag, LATE, EARLY)
    session_logs = sorted((Path(stack.env["NEWSWORKER_STATE_DIR"]) / "logs").glob("worker-*.log"))
    assert len(session_logs) == len(QUEUES)

    with rabbitmq(tmp_path / "rabbitmq") as rabbit:
        env = {**stack.env, **_dev_env(stack), "NEWSWORKER_BROKER_URL": rabbit.url}
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
        on_rabbit = Stack(env)

        # No worker consumes RabbitMQ yet: the queued files wait there, in one parse message
        # (small files travel together), as the broker says (what `stats` and the metrics
        # ask it; `stats` itself needs the articles index, which the first task of a fresh
        # stack creates).
        early = on_rabbit.json("ingest", str(tmp_path / "early"))
        assert early["sources"] == EARLY and not early["done"]
        assert queue_depths(rabbit.url, QUEUES) == {"fetch": 1, "nlp": 0, "index": 0}
        listed = dict(line.split("\t") for line in rabbit.ctl(
            "list_queues", "--quiet", "--no-table-headers", "name", "messages").splitlines())
        assert listed.get("fetch") == "1", listed
        # The session's Redis-broker workers never see them: the job does not move.
        time.sleep(3)
        assert on_rabbit.json("job", early["job_id"])["submitted"] == 0

        with workers_on(env, tmp_path / "logs") as logs:
            late = on_rabbit.json("ingest", str(tmp_path / "late"), "--wait", "--timeout", "300")
            assert late["done"], late
            assert (late["submitted"], late["indexed"]) == (LATE, LATE), late
            early = _job_done(on_rabbit, early["job_id"], 120)
            assert early["done"] and (early["submitted"], early["indexed"]) == (EARLY, EARLY)
            for summary in (early, late):
                assert summary["errors"] == [] and summary["waiting"] is None
                assert (summary["indexed"] + summary["updated"] + summary["duplicates"]
                        + summary["quarantined"]) == summary["submitted"]

            found = on_rabbit.json("search", tag, "--limit", "50")
            assert found["total"] == EARLY + LATE, found
            assert on_rabbit.json("stats")["queues"] == {"fetch": 0, "nlp": 0, "index": 0}
            listed = dict(line.split("\t") for line in rabbit.ctl(
                "list_queues", "--quiet", "--no-table-headers", "name", "messages").splitlines())
            assert {q: listed.get(q) for q in QUEUES} == dict.fromkeys(QUEUES, "0"), listed

            # Our workers ran every stage (for each of the two folders a parse, an NLP and an
            # index task at least); the session's workers received none of those tasks.
            ours = _received(logs)
            assert len(ours) >= 6, ours
            assert not ours & _received(session_logs)
    print(f"RabbitMQ broker: {EARLY + LATE} files, {len(ours)} tasks through RabbitMQ, "
          f"{found['total']} articles found by tag")
