"""A real stack for integration tests: redis-server, Elasticsearch and Celery worker processes.

Started once per session through `python -m worker dev up` in a temporary state folder, so
the tests also prove the dev stack. A service that cannot start fails the tests, never skips.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Stack:
    """Runs CLI commands against the session's stack."""

    env: dict[str, str]

    def cli(self, *args: str, check: bool = True, stdin: str | None = None,
            timeout: float = 600) -> subprocess.CompletedProcess[str]:
        """Run `python -m worker ARGS` with the stack's environment."""
        proc = subprocess.run(
            [sys.executable, "-m", "worker", *args], env=self.env, cwd=ROOT, text=True,
            capture_output=True, input=stdin, timeout=timeout,
        )
        if check and proc.returncode != 0:
            raise AssertionError(f"worker {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
        return proc

    def json(self, *args: str) -> Any:
        """Run a command with --json and parse its output."""
        return json.loads(self.cli(*args, "--json").stdout)

    def hits(self, *args: str) -> list[dict[str, Any]]:
        """`search ARGS --json`: the hits of the first page."""
        hits: list[dict[str, Any]] = self.json("search", *args)["hits"]
        return hits

    def url_of(self, service: str) -> str:
        """The address `dev status` records for a service (elasticsearch, api, flower)."""
        rows = self.json("dev", "status")
        return str(next(r["url"] for r in rows if r["name"] == service))


    def es_url(self) -> str:
        """The stack's Elasticsearch address, as `dev up` recorded it."""
        env = (Path(self.env["NEWSWORKER_STATE_DIR"]) / "dev.env").read_text().splitlines()
        return next(line.split("=", 1)[1] for line in env
                    if line.startswith("NEWSWORKER_ELASTICSEARCH_URL="))

    def es(self) -> Any:
        """An Elasticsearch client on the stack's node."""
        from elasticsearch import Elasticsearch

        return Elasticsearch(self.es_url())

    def up(self) -> None:
        """`dev up`, or fail the tests with the services' last log lines."""
        up = self.cli("dev", "up", "--json", check=False)
        if up.returncode != 0:
            logs = "\n".join(
                f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}"
                for p in sorted((Path(self.env["NEWSWORKER_STATE_DIR"]) / "logs").glob("*.log"))
            )
            self.cli("dev", "down", check=False)
            pytest.fail(f"dev stack did not start:\n{up.stdout}\n{up.stderr}\n{logs}")


def accounted(summary: dict[str, Any]) -> None:
    """A finished job whose every submitted article was indexed, a duplicate or quarantined."""
    assert summary["done"], summary
    finished = (summary["indexed"] + summary["updated"] + summary["duplicates"]
                + summary["quarantined"])
    assert finished == summary["submitted"], summary


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    state = tmp_path_factory.mktemp("stack-state")
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSWORKER_")}
    env["NEWSWORKER_STATE_DIR"] = str(state)
    # Tests serve feeds from 127.0.0.1; beat polls only the feeds the tests add, every 2 s.
    env["NEWSWORKER_ALLOW_PRIVATE_NETWORKS"] = "true"
    feeds_file = state / "feeds.yaml"
    feeds_file.write_text("feeds: []\n")
    env["NEWSWORKER_FEEDS_FILE"] = str(feeds_file)
    env["NEWSWORKER_FEED_SCHEDULE_INTERVAL_S"] = "2"
    s = Stack(env)
    s.up()
    try:
        yield s
    finally:
        s.cli("dev", "down", check=False)
