"""Structured logs (structlog) at the level the settings ask for, for workers and the CLI."""

from __future__ import annotations

import logging

import structlog


def configure_logging(level: str) -> None:
    """Key-value log lines with timestamps; JSON-ready fields, human-readable output."""
    numeric = logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            structlog.processors.KeyValueRenderer(key_order=["timestamp", "level", "event"]),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        cache_logger_on_first_use=True,
    )
