"""The startup check: settings that would run a task twice or lose the queue are refused."""

from __future__ import annotations

from typing import Any

import pytest

from worker.queue.safety import Persistence, check_or_exit, unsafe_settings
from worker.settings import Settings

DURABLE = Persistence(aof=True, snapshots=False)


def settings(**values: Any) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def test_the_defaults_are_safe() -> None:
    assert unsafe_settings(settings(), DURABLE) == []


def test_a_retry_delay_beyond_the_visibility_timeout_is_refused() -> None:
    problems = unsafe_settings(settings(visibility_timeout_s=400, retry_after_max_s=300), DURABLE)
    assert len(problems) == 1 and "NEWSWORKER_VISIBILITY_TIMEOUT_S (400)" in problems[0]


def test_a_time_limit_above_the_visibility_timeout_is_refused() -> None:
    problems = unsafe_settings(settings(task_time_limit_s=1200, task_soft_time_limit_s=1100),
                               DURABLE)
    assert any("task time limit (1200)" in p for p in problems)


def test_a_soft_limit_not_below_the_hard_limit_is_refused() -> None:
    problems = unsafe_settings(settings(task_soft_time_limit_s=300), DURABLE)
    assert any("SOFT_TIME_LIMIT" in p for p in problems)


def test_a_redis_without_persistence_is_refused_unless_the_user_opts_out() -> None:
    volatile = Persistence(aof=False, snapshots=False)
    assert any("keeps nothing on disk" in p for p in unsafe_settings(settings(), volatile))
    assert unsafe_settings(settings(allow_volatile_broker=True), volatile) == []
    assert unsafe_settings(settings(), Persistence(aof=False, snapshots=True)) == []
    assert unsafe_settings(settings(), None) == []  # not askable: not refused


def test_the_visibility_timeout_does_not_apply_to_rabbitmq() -> None:
    amqp = settings(broker_url="amqp://guest:guest@rabbit//", visibility_timeout_s=10)
    assert unsafe_settings(amqp, None) == []


def test_the_worker_exits_with_every_problem_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    bad = settings(broker_url="amqp://guest:guest@127.0.0.1:1//", task_soft_time_limit_s=400)
    with pytest.raises(SystemExit) as exited:
        check_or_exit(bad)
    assert exited.value.code == 78
    assert "unsafe settings" in capsys.readouterr().err
