"""The one decorator every pipeline task goes through: name, queue, at-least-once options,
the fate policy of `worker.pipeline.fate` (retry by exception class, else give up) and the
delivery count that parks a poison message instead of letting it kill workers for ever."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import redis.exceptions
import structlog
from celery import Celery, Task
from celery.exceptions import Reject
from kombu.exceptions import OperationalError

from worker.errors import PoisonMessageError, TransientError
from worker.pipeline.fate import run_with_policy

log = structlog.get_logger(__name__)
AnyTask = Task[Any, Any]
Body = Callable[[Any], None]
OnGiveUp = Callable[[Any, BaseException], None]
OnWaiting = Callable[[Any, str, int], None]

# Redis (the ledger, the feed registry) or the broker away: the same as Elasticsearch away,
# the item waits and is retried; counted as a bug it would be quarantined after two tries.
SERVICE_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError,
                  redis.exceptions.BusyLoadingError, OperationalError)


def _quietly(hook: Callable[..., Any], *args: Any) -> Any:
    """Run a bookkeeping hook; its failure (Redis away too) must not change the task's fate."""
    try:
        return hook(*args)
    except Exception as exc:
        log.warning("job bookkeeping failed", hook=getattr(hook, "__name__", "?"),
                    error=str(exc))
        return None


@dataclass(frozen=True)
class TaskPolicy:
    """The hooks and limits every pipeline task shares (read lazily: settings may change)."""

    backoff_cap_s: Callable[[], int]
    retry_after_cap_s: Callable[[], int] = lambda: 300
    max_deliveries: Callable[[], int] = lambda: 3
    delivered: Callable[[str], int] = lambda key: 1
    finished: Callable[[str], None] = lambda key: None
    on_retry: Callable[[], None] = lambda: None
    on_waiting: OnWaiting = field(default=lambda payload, reason, retries: None)
    on_recovered: Callable[[Any], None] = lambda payload: None
    # The message is finished for good (done, quarantined, or split into new messages):
    # what it alone kept (a stored batch) may go. Never called on a retry.
    release: Callable[[Any], None] = lambda payload: None


def poison_error(deliveries: int) -> PoisonMessageError:
    """Why a message is parked, in words an operator can act on."""
    return PoisonMessageError(
        f"delivered {deliveries - 1} times and the worker process died every time (killed, "
        "out of memory, or a crash in native code); parked so the queue keeps flowing; "
        "`quarantine replay` runs it again once the cause is fixed"
    )


def pipeline_task(
    app: Celery, name: str, queue: str, *, on_give_up: OnGiveUp, policy: TaskPolicy,
    split: Callable[[Any], list[Any]] | None = None,
) -> Callable[[Body], AnyTask]:
    """Register ``body(payload)`` as task ``name`` on ``queue`` with the project's policy.

    A message delivered more than ``max_deliveries`` times without its delivery ever ending
    is poison: a batch is split into one task per item (``split``), so only the item that
    kills is parked; a single item goes to ``on_give_up`` with a ``PoisonMessageError``.
    ``on_waiting`` hears of each retry after a service failure and ``on_recovered`` of a task
    that went through after retries, so a job can say what it waits on.
    """

    def register(body: Body) -> AnyTask:
        @app.task(name=name, queue=queue, bind=True, acks_late=True, max_retries=None)
        def run(self: AnyTask, payload: Any) -> None:
            retries = self.request.retries
            message_key = f"{self.request.id}:{retries}"
            deliveries = _quietly(policy.delivered, message_key) or 1
            work = body
            if deliveries > policy.max_deliveries():
                parts = split(payload) if split else [payload]
                if len(parts) > 1:
                    log.error("poison batch split", task=name, deliveries=deliveries - 1,
                              items=len(parts))
                    for part in parts:
                        self.apply_async(args=(part,), queue=queue)
                    _quietly(policy.finished, message_key)
                    _quietly(policy.release, payload)
                    return
                log.error("poison message parked", task=name, deliveries=deliveries - 1)
                work = _raiser(poison_error(deliveries))
            retry = run_with_policy(services_transient(work), payload,
                                    services_transient(on_give_up), retries=retries,
                                    backoff_cap_s=policy.backoff_cap_s(),
                                    retry_after_cap_s=policy.retry_after_cap_s())
            _quietly(policy.finished, message_key)
            if retry is None:
                if retries:
                    _quietly(policy.on_recovered, payload)
                _quietly(policy.release, payload)
                return
            policy.on_retry()
            if retry.waits_on_service:
                _quietly(policy.on_waiting, payload,
                         " ".join(str(retry.cause).split())[:300], retries + 1)
            log.warning("retrying", task=name, error=str(retry.cause),
                        countdown=retry.countdown_s)
            try:
                raise self.retry(exc=retry.cause, countdown=retry.countdown_s)
            except Reject as refused:
                why = getattr(refused, "reason", refused)
                # The retry message could not be sent (the broker is away too): Celery would
                # drop this one (requeue=False). Give it back instead; if even that cannot
                # reach the broker, it stays unacked there and is redelivered.
                log.warning("retry not sent, message requeued", task=name,
                            error=str(why))
                raise Reject(why, requeue=True) from None

        return run

    return register


def services_transient(hook: Callable[[Any], None] | Callable[[Any, BaseException], None],
                       ) -> Any:
    """``hook`` with Redis and broker connection failures raised as ``TransientError``."""

    def guarded(*args: Any) -> None:
        try:
            hook(*args)
        except SERVICE_ERRORS as exc:
            raise TransientError(f"redis or broker unreachable: {exc}") from exc

    return guarded


def _raiser(exc: Exception) -> Body:
    def fail(payload: Any) -> None:
        raise exc

    return fail
