"""The long-running processes of a deployment, as argv lists shared by `dev up` and compose."""

from __future__ import annotations

from worker.queue.names import QUEUES

CELERY_APP = "worker.queue.app"


def worker_argv(queue: str, concurrency: int = 1) -> list[str]:
    """A Celery worker consuming one stage's queue (scale by running more of them)."""
    if queue not in QUEUES:
        raise ValueError(f"unknown queue {queue!r}; queues are {', '.join(QUEUES)}")
    return [
        "celery", "-A", CELERY_APP, "worker", "--queues", queue,
        "--hostname", f"{queue}@%h", "--concurrency", str(concurrency), "--loglevel", "INFO",
    ]


def beat_argv(schedule_file: str) -> list[str]:
    """Celery beat: the periodic feed polls."""
    return ["celery", "-A", CELERY_APP, "beat", "--schedule", schedule_file, "--loglevel", "INFO"]


def flower_argv(port: int, address: str) -> list[str]:
    """Flower, the web monitor of workers and tasks."""
    return ["celery", "-A", CELERY_APP, "flower", f"--port={port}", f"--address={address}"]
