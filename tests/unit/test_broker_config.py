"""The Celery app fits the broker it is given: Redis's visibility timeout only on Redis,
publisher confirms on RabbitMQ, and the ledger on Redis whichever broker carries tasks."""

from __future__ import annotations

from worker.queue.celery_config import make_app, transport_options
from worker.settings import Settings

REDIS = "redis://127.0.0.1:6399/0"
AMQP = "amqp://guest:guest@127.0.0.1:5699//"


def test_redis_is_the_broker_unless_one_is_set() -> None:
    settings = Settings(redis_url=REDIS, broker_url=None, visibility_timeout_s=901)
    assert settings.celery_broker_url == REDIS
    # JSON bodies go as they are: kombu's default base64 made every message a third larger.
    assert transport_options(settings) == {"visibility_timeout": 901, "body_encoding": "utf-8"}
    assert make_app(settings).conf.broker_url == REDIS


def test_rabbitmq_gets_confirms_and_no_visibility_timeout() -> None:
    settings = Settings(redis_url=REDIS, broker_url=AMQP)
    options = transport_options(settings)
    assert options == {"confirm_publish": True}
    app = make_app(settings)
    assert app.conf.broker_url == AMQP and app.conf.broker_transport_options == options
    # At-least-once on RabbitMQ too: ack after the task, durable queues.
    assert app.conf.task_acks_late and app.conf.task_reject_on_worker_lost
    assert all(q.durable for q in app.conf.task_queues)
