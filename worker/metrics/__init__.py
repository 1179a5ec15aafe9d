"""Prometheus metrics of the workers: definitions, no-op-safe counting calls for the stages,
and the endpoint each Celery worker's main process serves (multiprocess mode for prefork).

Import ``worker.metrics.counting`` from pure code; only ``worker.metrics.celery_hooks``
touches Celery and the broker.
"""
