"""The one decorator every pipeline task goes through: name, queue, at-least-once options
and the fate policy of `worker.pipeline.fate` (retry by exception class, else give up)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import structlog
from celery import Celery, Task

from worker.pipeline.fate import run_with_policy

log = structlog.get_logger(__name__)
AnyTask = Task[Any, Any]
Body = Callable[[Any], None]
OnGiveUp = Callable[[Any, BaseException], None]
OnWaiting = Callable[[Any, str, int], None]


def _quietly(hook: Callable[..., None], *args: Any) -> None:
    """Run a bookkeeping hook; its failure (Redis away too) must not change the task's fate."""
    try:
        hook(*args)
    except Exception as exc:
        log.warning("job bookkeeping failed", hook=getattr(hook, "__name__", "?"),
                    error=str(exc))


def pipeline_task(
    app: Celery, name: str, queue: str, *, on_give_up: OnGiveUp, backoff_cap_s: Callable[[], int],
    on_retry: Callable[[], None] = lambda: None,
    on_waiting: OnWaiting = lambda payload, reason, retries: None,
    on_recovered: Callable[[Any], None] = lambda payload: None,
) -> Callable[[Body], AnyTask]:
    """Register ``body(payload)`` as task ``name`` on ``queue`` with the project's policy.

    ``on_waiting(payload, reason, retries)`` hears of each retry after a service failure and
    ``on_recovered(payload)`` of a task that went through after retries, so a job can say
    what it waits on (a retried task sits in its worker: the queues alone look empty).
    """

    def register(body: Body) -> AnyTask:
        @app.task(name=name, queue=queue, bind=True, acks_late=True, max_retries=None)
        def run(self: AnyTask, payload: Any) -> None:
            retries = self.request.retries
            retry = run_with_policy(body, payload, on_give_up, retries=retries,
                                    backoff_cap_s=backoff_cap_s())
            if retry is None:
                if retries:
                    _quietly(on_recovered, payload)
                return
            on_retry()
            if retry.waits_on_service:
                _quietly(on_waiting, payload, " ".join(str(retry.cause).split())[:300],
                         retries + 1)
            log.warning("retrying", task=name, error=str(retry.cause),
                        countdown=retry.countdown_s)
            raise self.retry(exc=retry.cause, countdown=retry.countdown_s)

        return run

    return register
