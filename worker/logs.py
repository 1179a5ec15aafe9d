"""Structured logs (structlog) at the level the settings ask for, for workers and the CLI.

Lines go to the process's own stderr, never through ``sys.stdout``: a Celery worker replaces
stdout with a logger that writes at WARNING (``worker_redirect_stdouts_level``), which made
every routine ``indexed`` line a warning, and the CLI keeps stdout for its output (``--json``).
Lines are ``key=value`` with values as ``repr``, never coloured: they end in log files and
pipes, and a control character in logged data (a feed title's ESC) is written escaped.
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

import structlog


def log_stream() -> TextIO:
    """The stderr the process started with (Celery swaps ``sys.stderr`` for a logger too)."""
    return sys.__stderr__ or sys.stderr


def configure_logging(level: str, stream: TextIO | None = None) -> None:
    """Key-value log lines with timestamps on ``stream`` (default: ``log_stream()``)."""
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
        logger_factory=structlog.PrintLoggerFactory(stream or log_stream()),
        cache_logger_on_first_use=True,
    )
