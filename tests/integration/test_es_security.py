"""Elasticsearch with security on, against a second real local node of our own (own state,
own port, HTTPS with a CA and node certificate made here, file-realm users): basic auth over
TLS writes and searches; an API key created on the node (and a native-realm user) creates the
indices, writes and searches through our settings and CLI, and an unknown key is a one-line
401; a dead node listed first is failed over; a refused login, a missing privilege and an
untrusted certificate are one line each from the CLI.

API keys and native users live in the node's ``.security`` index, whose ``email`` analyzer
needs analysis-common's ``pattern_capture``, ``uax_url_email`` and ``unique``: this
distribution has them from es/analysis-plugin (installed by es/start), as the production
image has them built in.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import AuthenticationException

from worker.index.connection import elasticsearch_client
from worker.index.store import ElasticStore
from worker.index.writes import Write
from worker.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
ES_HOME = ROOT / "es" / "target" / "elasticsearch" / "elasticsearch-8.14.1"
JAVA_HOMES = ("/usr/lib/jvm/java-17-openjdk-amd64", "/usr/lib/jvm/java-17-openjdk-arm64",
              "/usr/lib/jvm/java-17-openjdk")
PASSWORDS = {"alice": "alice-pass-7f3c", "victor": "victor-pass-91ad"}  # superuser, viewer
START_TIMEOUT_S = 180


@dataclass
class SecureNode:
    """The secured node's address, CA and a state folder for CLI runs (no dev.env)."""

    port: int
    ca: Path
    cli_state: Path

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def settings(self, user: str = "alice", **values: Any) -> Settings:
        """Settings for ``user`` (basic auth) over TLS with our CA."""
        values = {"elasticsearch_url": self.url, "elasticsearch_ca_certs": self.ca,
                  "elasticsearch_username": user, "elasticsearch_password": PASSWORDS[user],
                  "state_dir": self.cli_state, **values}
        return Settings(_env_file=None, **values)  # type: ignore[call-arg]

    def cli(self, *args: str, other: dict[str, str] | None = None,
            **env: str | None) -> subprocess.CompletedProcess[str]:
        """`python -m worker ARGS` with NEWSWORKER_ELASTICSEARCH_* from ``env`` (None: unset)
        and the whole variables of ``other``; no other NEWSWORKER_* of ours."""
        base = {k: v for k, v in os.environ.items() if not k.startswith("NEWSWORKER_")}
        values: dict[str, str | None] = {"URL": self.url, "CA_CERTS": str(self.ca), **env}
        base |= {f"NEWSWORKER_ELASTICSEARCH_{k}": v for k, v in values.items() if v is not None}
        base["NEWSWORKER_STATE_DIR"] = str(self.cli_state)
        base |= other or {}
        return subprocess.run([sys.executable, "-m", "worker", *args], env=base, cwd=ROOT,
                              text=True, capture_output=True, timeout=300)


def _java_home() -> str:
    found = os.environ.get("ES_JAVA_HOME") or next(
        (h for h in JAVA_HOMES if Path(h, "bin", "java").exists()), None)
    if not found:
        pytest.fail("Java 17 not found (set ES_JAVA_HOME)")
    return found


def _es_tool(tool: str, *args: str, conf: Path | None = None) -> None:
    env = {**os.environ, "ES_JAVA_HOME": _java_home()}
    if conf is not None:
        env["ES_PATH_CONF"] = str(conf)
    proc = subprocess.run([str(ES_HOME / "bin" / tool), *args], env=env, text=True,
                          capture_output=True, timeout=120)
    assert proc.returncode == 0, f"{tool} {args}: {proc.stdout}\n{proc.stderr}"


def _make_overlay(folder: Path) -> Path:
    """A CA, a node certificate for 127.0.0.1 and two file-realm users: the node's config."""
    overlay = folder / "overlay"
    (overlay / "certs").mkdir(parents=True)
    _es_tool("elasticsearch-certutil", "ca", "--pem", "--silent", "--days", "2",
             "--out", str(folder / "ca.zip"))
    zipfile.ZipFile(folder / "ca.zip").extractall(folder)
    _es_tool("elasticsearch-certutil", "cert", "--pem", "--silent", "--days", "2",
             "--ca-cert", str(folder / "ca" / "ca.crt"), "--ca-key", str(folder / "ca" / "ca.key"),
             "--ip", "127.0.0.1", "--name", "node", "--out", str(folder / "node.zip"))
    zipfile.ZipFile(folder / "node.zip").extractall(folder)
    for source in (folder / "ca" / "ca.crt", folder / "node" / "node.crt",
                   folder / "node" / "node.key"):
        (overlay / "certs" / source.name).write_bytes(source.read_bytes())
    for name in ("users", "users_roles"):
        (overlay / name).touch()
    for user, role in (("alice", "superuser"), ("victor", "viewer")):
        _es_tool("elasticsearch-users", "useradd", user, "-p", PASSWORDS[user], "-r", role,
                 conf=overlay)
    return overlay


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_until_up(node: SecureNode, proc: subprocess.Popen[bytes], log: Path) -> None:
    client = elasticsearch_client(node.settings(), request_timeout=5)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"secured node exited ({proc.returncode}):\n{log.read_text()[-4000:]}")
        try:
            if client.cluster.health(wait_for_status="yellow", timeout="5s")["status"] in (
                    "yellow", "green"):
                return
        except Exception:  # not listening yet
            time.sleep(1)
    pytest.fail(f"secured node not up in {START_TIMEOUT_S} s:\n{log.read_text()[-4000:]}")


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureNode]:
    folder = tmp_path_factory.mktemp("secure-es")
    overlay = _make_overlay(folder)
    secure = SecureNode(_free_port(), folder / "ca" / "ca.crt", folder / "cli-state")
    secure.cli_state.mkdir()
    log = folder / "es-start.log"
    ssl = "-Expack.security.http.ssl."
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(ROOT / "es" / "start"), str(folder / "es-state"), str(secure.port), "512m",
             "-Expack.security.enabled=true", f"{ssl}enabled=true", f"{ssl}key=certs/node.key",
             f"{ssl}certificate=certs/node.crt", f"{ssl}certificate_authorities=certs/ca.crt"],
            env={**os.environ, "ES_CONFIG_OVERLAY": str(overlay)}, stdout=out,
            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_until_up(secure, proc, log)
        yield secure
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _write_and_refresh(store: ElasticStore, doc_id: str, marker: str) -> None:
    store.ensure_indices()
    outcome = store.bulk_write([Write(doc_id, "create", {
        "title": f"Pelabuhan {marker}", "body": f"Kapal feri {marker} tiba di pelabuhan."})])
    assert (outcome.written, outcome.rejected, outcome.retry) == ([doc_id], {}, {})
    store.refresh()


def _hit_ids(proc: subprocess.CompletedProcess[str]) -> list[str]:
    assert proc.returncode == 0, proc.stderr
    return [hit["id"] for hit in json.loads(proc.stdout)["hits"]]


def _error_line(proc: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert proc.returncode == 1 and len(lines) == 1, (proc.returncode, proc.stderr)
    assert lines[0].startswith("error: "), lines
    return lines[0]


def test_basic_auth_over_tls_creates_the_indices_writes_and_searches(node: SecureNode) -> None:
    marker = f"basic{uuid.uuid4().hex[:8]}"
    _write_and_refresh(ElasticStore(node.settings()), "basic-1", marker)
    found = node.cli("search", marker, "--json", USERNAME="alice", PASSWORD=PASSWORDS["alice"])
    assert _hit_ids(found) == ["basic-1"]


def test_an_api_key_created_on_the_node_creates_the_indices_writes_and_searches(
    node: SecureNode, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Created by the superuser, so the key carries alice's privileges; it expires on its own.
    created = elasticsearch_client(node.settings()).security.create_api_key(
        name=f"newsworker-test-{uuid.uuid4().hex[:8]}", expiration="1h")
    encoded = created["encoded"]
    assert base64.b64decode(encoded).decode() == f"{created['id']}:{created['api_key']}"
    # Our code takes it from the environment, as a deployment gives it: no user, no password,
    # and indices of their own, so ensure_indices really creates them with the key.
    alias, quarantine = (f"apikey-{uuid.uuid4().hex[:8]}-{what}"
                         for what in ("articles", "quarantine"))
    env = {"URL": node.url, "API_KEY": encoded, "CA_CERTS": str(node.ca)}
    for name in ("USERNAME", "PASSWORD"):
        monkeypatch.delenv(f"NEWSWORKER_ELASTICSEARCH_{name}", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(f"NEWSWORKER_ELASTICSEARCH_{name}", value)
    monkeypatch.setenv("NEWSWORKER_ARTICLES_ALIAS", alias)
    monkeypatch.setenv("NEWSWORKER_QUARANTINE_INDEX", quarantine)
    monkeypatch.setenv("NEWSWORKER_STATE_DIR", str(node.cli_state))
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.elasticsearch_username is None
    store = ElasticStore(settings)
    # The node authenticates the key itself, not a user's password.
    who = store.client.security.authenticate()
    assert (who["authentication_type"], who["api_key"]["id"]) == ("api_key", created["id"])
    marker = f"apikey{uuid.uuid4().hex[:8]}"
    _write_and_refresh(store, "apikey-1", marker)
    assert store.client.indices.exists_alias(name=alias)
    assert store.client.indices.exists(index=quarantine)
    hits = store.search({"query": {"match": {"title": marker}}})["hits"]["hits"]
    assert [hit["_id"] for hit in hits] == ["apikey-1"]
    # The CLI with the key alone, encoded or as the id:key pair.
    for key in (encoded, f"{created['id']}:{created['api_key']}"):
        found = node.cli("search", marker, "--json", API_KEY=key,
                         other={"NEWSWORKER_ARTICLES_ALIAS": alias})
        assert _hit_ids(found) == ["apikey-1"]


def test_a_native_realm_user_created_on_the_node_signs_in_and_searches(node: SecureNode) -> None:
    password = f"nadia-pass-{uuid.uuid4().hex[:8]}"
    elasticsearch_client(node.settings()).security.put_user(
        username="nadia", password=password, roles=["viewer"])
    marker = f"native{uuid.uuid4().hex[:8]}"
    _write_and_refresh(ElasticStore(node.settings()), "native-1", marker)
    nadia = node.settings(elasticsearch_username="nadia", elasticsearch_password=password)
    who = elasticsearch_client(nadia).security.authenticate()
    assert (who["username"], who["authentication_realm"]["type"]) == ("nadia", "native")
    found = node.cli("search", marker, "--json", USERNAME="nadia", PASSWORD=password)
    assert _hit_ids(found) == ["native-1"]


def test_an_unknown_api_key_is_sent_as_such_and_is_a_one_line_401(node: SecureNode) -> None:
    key = base64.b64encode(b"no-such-id:no-such-key").decode()
    store = ElasticStore(node.settings(elasticsearch_username=None, elasticsearch_password=None,
                                       elasticsearch_api_key=key))
    with pytest.raises(AuthenticationException) as refused:
        store.search({"query": {"match_all": {}}})
    # The node read our ApiKey credentials (with none it says they are missing).
    assert "missing authentication credentials" not in str(refused.value.body)
    anonymous = ElasticStore(node.settings(elasticsearch_username=None,
                                           elasticsearch_password=None))
    with pytest.raises(AuthenticationException) as missing:
        anonymous.search({"query": {"match_all": {}}})
    assert "missing authentication credentials" in str(missing.value.body)
    line = _error_line(node.cli("search", "x", API_KEY=key))
    assert line.startswith(f"error: Elasticsearch at {node.url} refused authentication (401): "
                           "check NEWSWORKER_ELASTICSEARCH_API_KEY"), line
    assert key not in line


def test_a_dead_node_listed_first_is_failed_over(
    node: SecureNode, caplog: pytest.LogCaptureFixture
) -> None:
    dead = f"https://127.0.0.1:{_free_port()}"
    hosts = f"{dead},{node.url}"
    marker = f"failover{uuid.uuid4().hex[:8]}"
    with caplog.at_level(logging.WARNING, logger="elastic_transport"):
        # Round robin sends one of the first two requests to the dead node.
        _write_and_refresh(ElasticStore(node.settings(elasticsearch_url=hosts)), "failover-1",
                           marker)
    assert any(dead in record.getMessage() for record in caplog.records), caplog.text
    for _ in range(2):
        found = node.cli("search", marker, "--json", URL=hosts, USERNAME="alice",
                         PASSWORD=PASSWORDS["alice"])
        assert _hit_ids(found) == ["failover-1"]


def test_a_wrong_password_is_one_line_401_from_search_and_index_status(node: SecureNode) -> None:
    for command in (("search", "x"), ("index", "status")):
        line = _error_line(node.cli(*command, USERNAME="alice", PASSWORD="wrong-pass-3e1"))
        assert line == (f"error: Elasticsearch at {node.url} refused authentication (401): check"
                        " NEWSWORKER_ELASTICSEARCH_API_KEY, or NEWSWORKER_ELASTICSEARCH_USERNAME"
                        " and NEWSWORKER_ELASTICSEARCH_PASSWORD"), command


def test_a_missing_privilege_is_one_line_403_naming_it(node: SecureNode) -> None:
    line = _error_line(node.cli("index", "migrate", USERNAME="victor",
                                PASSWORD=PASSWORDS["victor"]))
    assert line.startswith(f"error: Elasticsearch at {node.url} refused authorisation (403): "
                           "action [indices:"), line
    assert "for user [victor]" in line


def test_without_the_ca_the_certificate_is_one_line_not_trusted(node: SecureNode) -> None:
    line = _error_line(node.cli("search", "x", CA_CERTS=None, USERNAME="alice",
                                PASSWORD=PASSWORDS["alice"]))
    assert line.startswith(f"error: TLS certificate of Elasticsearch at {node.url} not trusted ("
                           ), line
    assert line.endswith("set NEWSWORKER_ELASTICSEARCH_CA_CERTS to the CA (PEM) that signed it")
