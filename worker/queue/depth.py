"""How many task messages wait in each queue, asked of the broker itself (Redis or RabbitMQ).

A passive declare returns a queue's message count on both transports (on Redis the sum of
its priority lists); a queue nobody has declared yet, or an empty Redis list, is not found
and counts as 0. Messages a worker holds unacked (running, or waiting out a retry countdown)
are not in the count on either broker.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import suppress
from typing import Any

from kombu import Connection

CONNECT_TIMEOUT_S = 5.0


def queue_depths(broker_url: str, queues: Iterable[str]) -> dict[str, int]:
    """Ready messages per queue on the broker at ``broker_url``."""
    with Connection(broker_url, connect_timeout=CONNECT_TIMEOUT_S) as conn:
        conn.ensure_connection(max_retries=1)
        depths: dict[str, int] = {}
        for queue in queues:
            # A refused passive declare closes the AMQP channel: one channel per queue.
            channel: Any = conn.channel()
            try:
                depths[queue] = int(channel.queue_declare(queue=queue, passive=True).message_count)
            except conn.channel_errors:
                depths[queue] = 0
            finally:
                with suppress(*conn.channel_errors):  # closed already by the refusal
                    channel.close()
        return depths
