"""Settings come from the environment, typed, with defaults that work locally."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from worker.settings import Settings


def test_defaults_point_at_local_services(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("NEWSWORKER_STATE_DIR", str(tmp_path))
    s = Settings(_env_file=None)  # type: ignore[call-arg]
    assert s.redis_url.startswith("redis://127.0.0.1")
    assert s.elasticsearch_url.startswith("http://127.0.0.1")
    assert s.task_time_limit_s > s.task_soft_time_limit_s
    assert s.visibility_timeout_s > s.task_time_limit_s


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSWORKER_REDIS_URL", "redis://cache:6380/2")
    monkeypatch.setenv("NEWSWORKER_BATCH_SIZE", "64")
    s = Settings(_env_file=None)  # type: ignore[call-arg]
    assert s.redis_url == "redis://cache:6380/2"
    assert s.batch_size == 64


def test_dev_env_file_read_and_environment_wins(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    env_file = tmp_path / "dev.env"
    env_file.write_text("NEWSWORKER_REDIS_URL=redis://127.0.0.1:7777/0\n"
                        "NEWSWORKER_ELASTICSEARCH_URL=http://127.0.0.1:9999\n")
    monkeypatch.setenv("NEWSWORKER_ELASTICSEARCH_URL", "http://es:9200")
    s = Settings(_env_file=env_file)  # type: ignore[call-arg]
    assert s.redis_url == "redis://127.0.0.1:7777/0"
    assert s.elasticsearch_url == "http://es:9200"


def test_invalid_values_are_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSWORKER_BATCH_SIZE", "0")
    with pytest.raises(ValidationError):
        Settings(_env_file=None)  # type: ignore[call-arg]


def test_readme_documents_every_setting() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    missing = [f"NEWSWORKER_{name.upper()}" for name in Settings.model_fields
               if f"`NEWSWORKER_{name.upper()}`" not in readme]
    assert missing == []


def test_readme_test_command_is_what_ci_runs() -> None:
    root = Path(__file__).resolve().parents[2]
    readme = (root / "README.md").read_text(encoding="utf-8")
    assert "bash scripts/test" in readme.split("---")[0]  # on the first screen
    assert "bash scripts/test" in (root / ".ci" / "run").read_text()
