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


def pipeline_task(
    app: Celery, name: str, queue: str, *, on_give_up: OnGiveUp, backoff_cap_s: Callable[[], int],
    on_retry: Callable[[], None] = lambda: None,
) -> Callable[[Body], AnyTask]:
    """Register ``body(payload)`` as task ``name`` on ``queue`` with the project's policy."""

    def register(body: Body) -> AnyTask:
        @app.task(name=name, queue=queue, bind=True, acks_late=True, max_retries=None)
        def run(self: AnyTask, payload: Any) -> None:
            retry = run_with_policy(body, payload, on_give_up, retries=self.request.retries,
                                    backoff_cap_s=backoff_cap_s())
            if retry is None:
                return
            on_retry()
            log.warning("retrying", task=name, error=str(retry.cause),
                        countdown=retry.countdown_s)
            raise self.retry(exc=retry.cause, countdown=retry.countdown_s)

        return run

    return register
