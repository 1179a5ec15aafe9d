"""Celery signal handlers: the main process serves the endpoint, pool processes time tasks.

Imported by ``worker.queue.tasks`` so every worker connects them. The endpoint starts only
when ``metrics_port`` > 0; it serves the files of every pool process (multiprocess mode),
so counts made in different children add up.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import structlog
from celery import Celery
from celery.signals import (
    task_failure,
    task_postrun,
    task_prerun,
    task_retry,
    worker_init,
    worker_process_init,
    worker_process_shutdown,
)
from prometheus_client import multiprocess, start_http_server

from worker.metrics import definitions as m
from worker.metrics.collectors import clean_folder, refresh_rss, scrape_registry
from worker.settings import get_settings

log = structlog.get_logger(__name__)
BrokerDepths = Callable[[str, Iterable[str]], Mapping[str, int]]
_started: dict[str, float] = {}
_broker_depths: list[BrokerDepths] = []


def use_queue_depths(depths: BrokerDepths) -> None:
    """How the endpoint asks the broker for queue depths (given by worker.queue, which owns it)."""
    _broker_depths[:] = [depths]


def consumed_queues(app: Celery) -> list[str]:
    """The queues this worker takes messages from (all the app's queues if not narrowed)."""
    queues = app.amqp.queues
    return sorted(queues.consume_from or queues)


def _depths_of(app: Celery, broker_url: str) -> Mapping[str, int]:
    if not _broker_depths:
        return {}
    return _broker_depths[0](broker_url, consumed_queues(app))


@worker_init.connect
def _serve_metrics(sender: Any, **_: Any) -> None:
    """In the worker's main process, before the pool forks: fresh folder, endpoint up."""
    settings = get_settings()
    if settings.metrics_port <= 0:
        return
    folder = m.multiproc_dir()
    if folder is None:
        log.warning("metrics: PROMETHEUS_MULTIPROC_DIR is not set, pool processes' counts "
                    "are not served")
    else:
        clean_folder(folder, keep_pid=os.getpid())
    app: Celery = sender.app
    registry = scrape_registry(folder, lambda: _depths_of(app, settings.celery_broker_url))
    try:
        start_http_server(settings.metrics_port, addr=settings.metrics_host, registry=registry)
    except OSError as exc:  # the worker's work matters more than its metrics
        log.error("metrics endpoint not started", port=settings.metrics_port, error=str(exc))
        return
    log.info("metrics endpoint", url=f"http://{settings.metrics_host}:{settings.metrics_port}"
             "/metrics", multiprocess=folder is not None)


@worker_process_init.connect
def _pool_process_started(**_: Any) -> None:
    refresh_rss()


@worker_process_shutdown.connect
def _pool_process_ended(pid: int | None = None, **_: Any) -> None:
    """A child leaves: its per-process gauges go (its counters stay in the totals)."""
    folder = m.multiproc_dir()
    if folder is not None:
        multiprocess.mark_process_dead(pid or os.getpid(), folder)  # type: ignore[no-untyped-call]


@task_prerun.connect
def _task_started(task_id: str | None = None, **_: Any) -> None:
    if task_id:
        _started[task_id] = time.perf_counter()


@task_postrun.connect
def _task_ended(task_id: str | None = None, task: Any = None, state: str | None = None,
                **_: Any) -> None:
    began = _started.pop(task_id or "", None)
    try:
        if began is not None and task is not None:
            m.TASK_SECONDS.labels(task=task.name, state=state or "UNKNOWN").observe(
                time.perf_counter() - began)
    except Exception as exc:
        log.warning("task latency not recorded", error=str(exc))
    refresh_rss()


@task_retry.connect
def _task_retried(sender: Any = None, **_: Any) -> None:
    try:
        m.TASK_RETRIES.labels(task=getattr(sender, "name", "unknown")).inc()
    except Exception as exc:
        log.warning("task retry not counted", error=str(exc))


@task_failure.connect
def _task_failed(sender: Any = None, **_: Any) -> None:
    try:
        m.TASK_FAILURES.labels(task=getattr(sender, "name", "unknown")).inc()
    except Exception as exc:
        log.warning("task failure not counted", error=str(exc))
