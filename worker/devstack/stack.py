"""`dev up | down | status`: the local stack without Docker.

Real redis-server (AOF on) and a real single-node Elasticsearch 8 (es/start) on free
loopback ports, then the Celery workers (one per queue), beat and Flower. Everything lives
under the state folder: data, logs, the pids in stack.json, the ports in ports.json and
dev.env, which the CLI and the workers read to find the services.

Each service keeps its port across restarts (ports.json outlives `dev down`): a worker that
survived a crash of Redis or Elasticsearch finds them again at the address it knows, and
`dev up` restarts only what is not running.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

import redis
from elasticsearch import Elasticsearch

from worker.queue.names import INDEX_QUEUE, NLP_QUEUE, QUEUES
from worker.queue.services import beat_argv, flower_argv, worker_argv
from worker.settings import PROJECT_ROOT, Settings

ES_START = PROJECT_ROOT / "es" / "start"
STOP_GRACE_MARGIN_S = 15.0
ROLES = {"redis": "broker", "elasticsearch": "search", "beat": "scheduler",
         "flower": "monitor", "api": "api"}


class StackError(RuntimeError):
    """A service of the dev stack could not be started."""


@dataclass
class Service:
    """One process of the stack, as recorded in stack.json."""

    name: str
    pid: int
    port: int | None
    log: str
    url: str | None = None

    @property
    def running(self) -> bool:
        """True while the process exists (and is not a zombie)."""
        try:
            os.kill(self.pid, 0)
        except OSError:
            return False
        stat = Path(f"/proc/{self.pid}/stat")
        return not stat.exists() or ") Z " not in stat.read_text()


def free_port() -> int:
    """A TCP port nothing listens on now, on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_is_free(port: int) -> bool:
    """True when nothing listens on ``port`` (connections in TIME_WAIT do not count)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def role_of(name: str) -> str:
    """What a service is for: broker, search, worker:<queue>, scheduler, monitor, api."""
    if name.startswith("worker-"):
        return f"worker:{name.removeprefix('worker-')}"
    return ROLES.get(name, name)


class DevStack:
    """Starts, stops and reports the stack recorded under ``state_dir``."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.state = settings.state_dir.resolve()
        self.logs = self.state / "logs"
        self.record = self.state / "stack.json"
        self.ports_file = self.state / "ports.json"

    # -- bookkeeping -------------------------------------------------------------------
    def services(self) -> dict[str, Service]:
        """The services recorded by the last `up`."""
        if not self.record.exists():
            return {}
        data = json.loads(self.record.read_text())
        return {name: Service(**svc) for name, svc in data.items()}

    def port_for(self, name: str) -> int:
        """The port ``name`` had before if it is still free, else a new one (recorded)."""
        ports = json.loads(self.ports_file.read_text()) if self.ports_file.exists() else {}
        port = ports.get(name)
        if not isinstance(port, int) or not port_is_free(port):
            port = free_port()
            ports[name] = port
            self.state.mkdir(parents=True, exist_ok=True)
            self.ports_file.write_text(json.dumps(ports, indent=2, sort_keys=True))
        return port

    def _save(self, services: dict[str, Service]) -> None:
        self.state.mkdir(parents=True, exist_ok=True)
        self.record.write_text(json.dumps({n: asdict(s) for n, s in services.items()}, indent=2))

    def _write_env(self, redis_url: str, es_url: str) -> None:
        (self.state / "dev.env").write_text(
            f"NEWSWORKER_REDIS_URL={redis_url}\nNEWSWORKER_ELASTICSEARCH_URL={es_url}\n"
        )

    def _spawn(self, name: str, argv: list[str], env: dict[str, str], port: int | None,
               url: str | None = None) -> Service:
        self.logs.mkdir(parents=True, exist_ok=True)
        log_path = self.logs / f"{name}.log"
        with log_path.open("ab") as log:
            proc = subprocess.Popen(
                argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env=env, cwd=PROJECT_ROOT, start_new_session=True,
            )
        return Service(name, proc.pid, port, str(log_path), url)

    # -- up ----------------------------------------------------------------------------
    def up(self, *, workers: bool = True, timeout_s: float = 240.0) -> dict[str, Service]:
        """Start whatever is not running yet; idempotent."""
        services = {n: s for n, s in self.services().items() if s.running}
        env = dict(os.environ)
        env["NEWSWORKER_STATE_DIR"] = str(self.state)

        if "redis" not in services:
            services["redis"] = self._start_redis(env)
            self._save(services)
        if "elasticsearch" not in services:
            services["elasticsearch"] = self._start_elasticsearch(env)
            self._save(services)
        redis_url = services["redis"].url or ""
        es_url = services["elasticsearch"].url or ""
        self._write_env(redis_url, es_url)
        env |= {"NEWSWORKER_REDIS_URL": redis_url, "NEWSWORKER_ELASTICSEARCH_URL": es_url}

        deadline = time.monotonic() + timeout_s
        self._wait(lambda: redis.Redis.from_url(redis_url).ping(), "redis", deadline, services)
        self._wait(lambda: _es_ready(es_url), "elasticsearch", deadline, services)

        if workers:
            bin_dir = Path(sys.executable).parent
            env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
            for queue in QUEUES:
                name = f"worker-{queue}"
                if name not in services:
                    services[name] = self._start_worker(name, queue, env)
            if "beat" not in services:
                schedule = str(self.state / "celerybeat-schedule")
                services["beat"] = self._spawn("beat", beat_argv(schedule), env, None)
            if "flower" not in services:
                port = self.port_for("flower")
                services["flower"] = self._spawn(
                    "flower", flower_argv(port, "127.0.0.1"), env, port, f"http://127.0.0.1:{port}"
                )
            if "api" not in services:
                port = self.port_for("api")
                argv = [sys.executable, "-m", "worker", "api", "--host", "127.0.0.1",
                        "--port", str(port)]
                services["api"] = self._spawn("api", argv, env, port, f"http://127.0.0.1:{port}")
            self._save(services)
            self._wait(lambda: _workers_answer(redis_url), "workers", deadline, services)
            api_url = services["api"].url or ""
            self._wait(lambda: _api_ready(api_url), "search API", deadline, services)
        self._save(services)
        return services

    def _start_worker(self, name: str, queue: str, env: dict[str, str]) -> Service:
        """One Celery worker, its Prometheus endpoint on a port of its own."""
        processes = {NLP_QUEUE: self.settings.nlp_concurrency,
                     INDEX_QUEUE: self.settings.index_concurrency}.get(queue, 1)
        port = self.port_for(name)
        metrics_dir = self.state / "metrics" / name
        metrics_dir.mkdir(parents=True, exist_ok=True)
        worker_env = env | {"NEWSWORKER_METRICS_PORT": str(port),
                            "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
        return self._spawn(name, worker_argv(queue, processes), worker_env, port,
                           f"http://127.0.0.1:{port}/metrics")

    def _start_redis(self, env: dict[str, str]) -> Service:
        server = shutil.which("redis-server") or "/usr/bin/redis-server"
        if not Path(server).exists():
            raise StackError("redis-server not found: install the Debian package redis-server")
        data = self.state / "redis"
        data.mkdir(parents=True, exist_ok=True)
        port = self.port_for("redis")
        argv = [
            server, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(data),
            "--appendonly", "yes", "--appendfsync", "everysec",
            "--maxmemory-policy", "noeviction", "--daemonize", "no",
        ]
        return self._spawn("redis", argv, env, port, f"redis://127.0.0.1:{port}/0")

    def _start_elasticsearch(self, env: dict[str, str]) -> Service:
        port = self.port_for("elasticsearch")
        argv = ["bash", str(ES_START), str(self.state / "elasticsearch"), str(port),
                self.settings.dev_es_heap]
        return self._spawn("elasticsearch", argv, env, port, f"http://127.0.0.1:{port}")

    def _wait(self, check: object, what: str, deadline: float,
              services: dict[str, Service]) -> None:
        assert callable(check)
        while time.monotonic() < deadline:
            dead = [s for s in services.values() if not s.running]
            if dead:
                raise StackError(f"{dead[0].name} exited while starting; see {dead[0].log}")
            try:
                if check():
                    return
            except Exception:
                pass
            time.sleep(0.5)
        raise StackError(f"{what} did not become ready in time; see {self.logs}")

    # -- down / status -----------------------------------------------------------------
    def down(self) -> list[str]:
        """Stop every recorded service (workers first, so they finish their task)."""
        services = self.services()
        order = [n for n in services if n not in ("redis", "elasticsearch")]
        order += [n for n in ("elasticsearch", "redis") if n in services]
        stopped = []
        # Warm shutdown: a worker finishes its running task (at most the hard limit) and
        # hands its prefetched and retry-waiting messages back to the broker.
        grace_s = self.settings.task_time_limit_s + STOP_GRACE_MARGIN_S
        for name in order:
            if _terminate(services[name], grace_s):
                stopped.append(name)
        self.record.unlink(missing_ok=True)
        return stopped

    def status(self) -> list[dict[str, object]]:
        """Each recorded service: role, running or not, pid, port, URL, log; Redis and
        Elasticsearch also whether they answer (a process can run and not answer)."""
        rows: list[dict[str, object]] = []
        for s in self.services().values():
            row: dict[str, object] = {**asdict(s), "role": role_of(s.name), "running": s.running}
            if s.name in ("redis", "elasticsearch") and s.url:
                row["answering"] = s.running and _answers(s.name, s.url)
            rows.append(row)
        return rows


def _answers(name: str, url: str) -> bool:
    """True when the service at ``url`` answers a ping within a second or two."""
    try:
        if name == "redis":
            return bool(redis.Redis.from_url(url, socket_connect_timeout=1,
                                             socket_timeout=1).ping())
        return bool(Elasticsearch(url, request_timeout=2).ping())
    except Exception:
        return False


def _terminate(service: Service, grace_s: float) -> bool:
    if not service.running:
        return False
    try:
        os.killpg(service.pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    deadline = time.monotonic() + grace_s
    while service.running and time.monotonic() < deadline:
        time.sleep(0.2)
    if service.running:
        os.killpg(service.pid, signal.SIGKILL)
    return True


def _es_ready(url: str) -> bool:
    client = Elasticsearch(url, request_timeout=5)
    health = client.cluster.health(wait_for_status="yellow", timeout="5s")
    return str(health["status"]) in ("yellow", "green")


def _api_ready(url: str) -> bool:
    with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
        return bool(response.status == 200)


def _workers_answer(redis_url: str) -> bool:
    from worker.queue.celery_config import make_app

    app = make_app(Settings(redis_url=redis_url))
    try:
        replies = app.control.ping(timeout=1.0) or []
    finally:
        app.close()
    names = {name.split("@")[0] for reply in replies for name in reply}
    return set(QUEUES) <= names
