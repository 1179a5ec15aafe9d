"""Celery configuration: Redis or RabbitMQ broker, at-least-once delivery, one queue per stage
(classic durable queues, persistent messages, on either broker)."""

from __future__ import annotations

from celery import Celery
from kombu import Queue

from worker.queue.names import FETCH_QUEUE, QUEUES, SCHEDULE_FEEDS
from worker.settings import Settings


def make_app(settings: Settings) -> Celery:
    """A Celery app configured from settings (tests build their own with other settings)."""
    plugins = [m.strip() for m in settings.worker_plugins.split(",") if m.strip()]
    app = Celery("newsworker", broker=settings.celery_broker_url,
                 include=["worker.queue.tasks", *plugins])
    app.conf.update(
        task_queues=[Queue(name) for name in QUEUES],
        task_default_queue=FETCH_QUEUE,
        task_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,
        # At-least-once: ack after the task ran, requeue when the worker process dies,
        # take one message at a time; the broker redelivers what a lost worker held.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_transport_options=transport_options(settings),
        task_soft_time_limit=settings.task_soft_time_limit_s,
        task_time_limit=settings.task_time_limit_s,
        worker_max_tasks_per_child=settings.worker_max_tasks_per_child,
        worker_max_memory_per_child=settings.worker_max_memory_per_child_kib,
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        worker_send_task_events=True,
        task_send_sent_event=True,
        beat_schedule={
            "schedule-feeds": {
                "task": SCHEDULE_FEEDS,
                "schedule": settings.feed_schedule_interval_s,
                "options": {"queue": FETCH_QUEUE, "expires": settings.feed_schedule_interval_s},
            }
        },
    )
    return app


def is_redis_broker(url: str) -> bool:
    """True for a Redis broker URL (else AMQP: RabbitMQ)."""
    return url.startswith(("redis://", "rediss://", "unix://"))


def transport_options(settings: Settings) -> dict[str, object]:
    """Redis redelivers an unacked task only after its visibility timeout (so that must
    outlast any task: worker.queue.safety checks it). RabbitMQ redelivers when the consumer's
    connection drops and needs no timeout here, but its server-side ``consumer_timeout``
    (default 30 min) drops a consumer holding a message unacked longer: a task plus the retry
    countdown its worker holds the message for must end within it. Publisher confirms: a sent
    task is stored by RabbitMQ before ``send_task`` returns. On Redis, message bodies (JSON
    text) are stored as they are, not base64-encoded (kombu's default): an index batch of 128
    articles is 2.4 MB instead of 2.7, and the worker's main process no longer decodes it."""
    if is_redis_broker(settings.celery_broker_url):
        return {"visibility_timeout": settings.visibility_timeout_s,
                "body_encoding": "utf-8"}
    return {"confirm_publish": True}

