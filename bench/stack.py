"""A private dev stack for the benchmark: `python -m worker dev up` in a temporary state folder.

Started through the CLI, as the integration tests start theirs, so the benchmark measures
the stack users run. Feed polling is off (nothing but the corpus reaches the workers) and
the NLP worker is asked for ``nlp_processes`` pool processes through
``NEWSWORKER_NLP_CONCURRENCY``; how many it really runs is read back from /proc.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.procs import cpu_seconds, descendants, rss_mib

ROOT = Path(__file__).resolve().parents[1]
NLP_CONCURRENCY_ENV = "NEWSWORKER_NLP_CONCURRENCY"
# Variables the private stack sets itself; the user's other NEWSWORKER_* tuning passes through.
_OWN_VARIABLES = ("STATE_DIR", "REDIS_URL", "ELASTICSEARCH_URL", "FEEDS_FILE",
                  "FEED_POLLING_ENABLED", "NLP_CONCURRENCY")


class StackStartError(RuntimeError):
    """`dev up` failed; the message carries its output and the services' log tails."""


class PrivateStack:
    """Redis, Elasticsearch and the Celery workers under ``state_dir``, started and stopped here."""

    def __init__(self, state_dir: Path, nlp_processes: int) -> None:
        self.state = state_dir
        self.nlp_processes = nlp_processes
        self.env = {k: v for k, v in os.environ.items()
                    if not any(k == f"NEWSWORKER_{name}" for name in _OWN_VARIABLES)}
        feeds = state_dir / "feeds.yaml"
        state_dir.mkdir(parents=True, exist_ok=True)
        feeds.write_text("feeds: []\n")
        self.env |= {
            "NEWSWORKER_STATE_DIR": str(state_dir),
            "NEWSWORKER_FEED_POLLING_ENABLED": "false",
            "NEWSWORKER_FEEDS_FILE": str(feeds),
            NLP_CONCURRENCY_ENV: str(nlp_processes),
        }
        self.services: dict[str, dict[str, Any]] = {}

    def cli(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        """`python -m worker ARGS` against this stack."""
        return subprocess.run([sys.executable, "-m", "worker", *args], env=self.env, cwd=ROOT,
                              text=True, capture_output=True, timeout=timeout, check=False)

    def up(self) -> None:
        """Start everything and wait until the workers answer."""
        proc = self.cli("dev", "up", "--json")
        if proc.returncode != 0:
            logs = "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-2000:]}"
                             for p in sorted((self.state / "logs").glob("*.log")))
            self.down()
            raise StackStartError(f"dev up failed:\n{proc.stdout}\n{proc.stderr}\n{logs}")
        rows = json.loads(proc.stdout)
        self.services = {str(row["name"]): row for row in rows}

    def down(self) -> None:
        """Stop everything `up` started."""
        self.cli("dev", "down", "--json", timeout=180)

    def url(self, service: str) -> str:
        """The address a service listens on."""
        return str(self.services[service]["url"])

    def worker_processes(self) -> dict[str, int]:
        """Every Celery worker process: ``worker-nlp`` (main) and ``worker-nlp/1``... (pool)."""
        found: dict[str, int] = {}
        for name, row in sorted(self.services.items()):
            if not name.startswith("worker-"):
                continue
            found[name] = int(row["pid"])
            for n, child in enumerate(descendants(int(row["pid"])), 1):
                found[f"{name}/{n}"] = child
        return found

    def nlp_pool_processes(self) -> int:
        """Pool processes the NLP worker really runs (what the limit is compared at)."""
        return sum(1 for label in self.worker_processes() if label.startswith("worker-nlp/"))

    def cpu(self) -> dict[str, float]:
        """CPU seconds used so far by each service with its children (a worker's pool, the
        node's JVM), and by the NLP worker's pool alone (``worker-nlp/pool``)."""
        used: dict[str, float] = {}
        for name, row in sorted(self.services.items()):
            pid = int(row["pid"])
            children = descendants(pid)
            used[name] = cpu_seconds(pid) + sum(cpu_seconds(c) for c in children)
            if name == "worker-nlp":
                used["worker-nlp/pool"] = sum(cpu_seconds(c) for c in children)
        return used

    def rss(self) -> dict[str, dict[str, Any]]:
        """RSS (MiB) of every worker process now, with its pid."""
        return {label: {"pid": pid, "rss_mib": rss_mib(pid)}
                for label, pid in self.worker_processes().items()}
