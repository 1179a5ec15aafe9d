"""Celery configuration: Redis broker, at-least-once delivery, one queue per stage."""

from __future__ import annotations

from celery import Celery
from kombu import Queue

from worker.queue.names import FETCH_QUEUE, QUEUES, SCHEDULE_FEEDS
from worker.settings import Settings


def make_app(settings: Settings) -> Celery:
    """A Celery app configured from settings (tests build their own with other settings)."""
    app = Celery("newsworker", broker=settings.redis_url, include=["worker.queue.tasks"])
    app.conf.update(
        task_queues=[Queue(name) for name in QUEUES],
        task_default_queue=FETCH_QUEUE,
        task_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,
        # At-least-once: ack after the task ran, requeue when the worker process dies,
        # take one message at a time, and let Redis redeliver only long after any task ends.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_transport_options={"visibility_timeout": settings.visibility_timeout_s},
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

