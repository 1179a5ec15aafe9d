"""docker-compose.yml is the production path: its services match the real CLI and settings."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from tests.unit.test_kibana_objects import FakeKibana, serve_fake_kibana
from worker.queue.names import INDEX_QUEUE, QUEUES
from worker.queue.services import beat_argv, flower_argv, worker_argv
from worker.settings import ENV_PREFIX, PROJECT_ROOT, Settings

COMPOSE: dict[str, Any] = yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, Any] = COMPOSE["services"]


def _seconds(value: str) -> int:
    m = re.fullmatch(r"(?:(\d+)m)?(?:(\d+)s)?", value)
    assert m, value
    return int(m.group(1) or 0) * 60 + int(m.group(2) or 0)


def test_every_stage_queue_has_a_worker_service_running_the_real_command() -> None:
    # The index worker runs as many processes as the dev stack's (one writes while one plans).
    processes = {INDEX_QUEUE: Settings.model_fields["index_concurrency"].default}
    for queue in QUEUES:
        service = SERVICES[f"worker-{queue}"]
        assert service["command"] == worker_argv(queue, processes.get(queue, 1))
        assert "healthcheck" in service
        assert f"{queue}@" in service["healthcheck"]["test"][1]
        # Scalable: no fixed container name.
        assert "container_name" not in service


def test_beat_and_flower_run_the_real_commands() -> None:
    assert SERVICES["beat"]["command"] == beat_argv("/data/celerybeat-schedule")
    assert SERVICES["flower"]["command"] == flower_argv(5555, "0.0.0.0")


def test_the_search_api_service_runs_the_real_cli_command() -> None:
    from typer.testing import CliRunner

    from worker import cli

    command = SERVICES["api"]["command"]
    assert command[:4] == ["python", "-m", "worker", "api"]
    help_text = CliRunner().invoke(cli.app, ["api", "--help"]).output
    assert all(option in help_text for option in command[4::2])
    assert "8000:8000" in SERVICES["api"]["ports"][0]


def test_environment_names_are_real_settings() -> None:
    fields = {f"{ENV_PREFIX}{name.upper()}" for name in Settings.model_fields}
    for name, service in SERVICES.items():
        for var in service.get("environment") or {}:
            if var.startswith(ENV_PREFIX):
                assert var in fields, f"{name}: {var} is not a setting"
    worker_env = SERVICES["worker-nlp"]["environment"]
    assert worker_env["NEWSWORKER_REDIS_URL"].startswith("redis://redis:")
    assert worker_env["NEWSWORKER_ELASTICSEARCH_URL"].startswith("http://elasticsearch:")


def test_redis_is_durable_and_never_evicts_queued_work() -> None:
    command = " ".join(SERVICES["redis"]["command"])
    assert "--appendonly yes" in command
    assert "--maxmemory-policy noeviction" in command


def test_elasticsearch_and_kibana_share_a_version_8() -> None:
    es = SERVICES["elasticsearch"]["image"].rsplit(":", 1)[1]
    kibana = SERVICES["kibana"]["image"].rsplit(":", 1)[1]
    assert es == kibana and es.startswith("8.")
    setup = SERVICES["kibana-setup"]
    assert setup["depends_on"]["kibana"]["condition"] == "service_healthy"
    assert (PROJECT_ROOT / "config/kibana/saved-objects.ndjson").exists()


def test_grace_period_outlasts_the_longest_task() -> None:
    limit = Settings(_env_file=None).task_time_limit_s  # type: ignore[call-arg]
    for queue in QUEUES:
        assert _seconds(SERVICES[f"worker-{queue}"]["stop_grace_period"]) > limit


def test_every_dependency_is_a_defined_service_with_a_healthcheck() -> None:
    for name, service in SERVICES.items():
        for dep, cond in (service.get("depends_on") or {}).items():
            assert dep in SERVICES, f"{name} depends on unknown {dep}"
            if cond["condition"] == "service_healthy":
                assert "healthcheck" in SERVICES[dep], f"{dep} has no healthcheck"


# --- kibana-setup: wait for Kibana, then import the saved objects -------------------------

SETUP = SERVICES["kibana-setup"]


def _setup_script() -> str:
    """The sh script kibana-setup runs, as the shell sees it (compose turns `$$` into `$`)."""
    [script] = SETUP["command"]
    return str(script).replace("$$", "$")


def test_kibana_setup_waits_for_healthy_kibana_and_imports_the_mounted_file() -> None:
    assert SETUP["depends_on"] == {"kibana": {"condition": "service_healthy"}}
    assert SETUP["restart"] == "no"
    assert SETUP["entrypoint"] == ["/bin/sh", "-c"]
    [mount] = SETUP["volumes"]
    source, target, mode = mount.split(":")
    assert (source, mode) == ("./config/kibana", "ro")
    saved = SETUP["environment"]["SAVED_OBJECTS"]
    assert saved.startswith(f"{target}/")
    assert (PROJECT_ROOT / "config" / "kibana" / saved.removeprefix(f"{target}/")).is_file()
    assert SETUP["environment"]["KIBANA_URL"] == "http://kibana:5601"
    assert "5601:5601" in SERVICES["kibana"]["ports"][0]
    script = _setup_script()
    assert '"$KIBANA_URL/api/status"' in script and '"level":"available"' in script
    assert "/api/saved_objects/_import?overwrite=true" in script
    assert '-H "kbn-xsrf: true"' in script and '--form "file=@$SAVED_OBJECTS"' in script


def test_kibana_setup_leaves_no_variable_to_compose() -> None:
    # Compose would substitute a single `$` from the host's environment (usually with "").
    [script] = SETUP["command"]
    assert "$" not in str(script).replace("$$", "")


def _run_setup(url: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ["PATH"], "KIBANA_URL": url, "SETUP_PAUSE_S": "0",
           "SAVED_OBJECTS": str(PROJECT_ROOT / "config" / "kibana" / "saved-objects.ndjson")}
    return subprocess.run(["sh", "-c", _setup_script()], env=env, capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture
def fake_kibana() -> Iterator[FakeKibana]:
    with serve_fake_kibana() as fake:
        yield fake


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl, as the curl image has")
def test_kibana_setup_script_waits_then_imports_into_a_fake_kibana(fake_kibana: FakeKibana) -> None:
    kibana = fake_kibana
    kibana.unavailable = 3
    done = _run_setup(kibana.url)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("waiting for Kibana") == 3
    assert 'imported "successCount":34' in done.stdout
    [sent] = kibana.imports  # the fake refuses an import without overwrite=true or kbn-xsrf
    assert sent["xsrf"] == "true"
    assert sent["file"] == (PROJECT_ROOT / "config/kibana/saved-objects.ndjson").read_bytes()
    kibana.answer = "errors"
    failed = _run_setup(kibana.url)
    assert failed.returncode == 1
    assert failed.stderr.count("import failed") == 5 and "missing_references" in failed.stderr


def test_workers_get_longer_than_a_task_to_stop_and_expose_metrics() -> None:
    limits = Settings(_env_file=None)  # type: ignore[call-arg]
    for name in ("worker-fetch", "worker-nlp", "worker-index"):
        grace = SERVICES[name]["stop_grace_period"]
        assert grace.endswith("s") and int(grace[:-1]) > limits.task_time_limit_s, name
        env = SERVICES[name]["environment"]
        assert env["NEWSWORKER_METRICS_PORT"] == "9100" and env["PROMETHEUS_MULTIPROC_DIR"]
