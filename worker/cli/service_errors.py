"""A service that cannot be reached (the stack is not up, a wrong address) is one line on
stderr and exit code 1, whichever command met it, not a traceback."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import kombu.exceptions
import redis.exceptions
from elasticsearch import ApiError, TransportError

from worker.errors import TransientError
from worker.settings import Settings

HINT = "is the stack up? (`newsworker dev up`, `newsworker dev status`)"


def service_error_message(exc: BaseException, settings: Settings) -> str | None:
    """The one-line error for a service failure, or None for anything else (a bug)."""
    cause = exc.__cause__ if isinstance(exc, TransientError) and exc.__cause__ else exc
    if isinstance(cause, redis.exceptions.ConnectionError | redis.exceptions.TimeoutError
                  | kombu.exceptions.OperationalError):
        return (f"cannot reach Redis at {without_password(settings.redis_url)} "
                f"({_short(cause)}); {HINT}")
    if isinstance(cause, TransportError):
        return (f"cannot reach Elasticsearch at {without_password(settings.elasticsearch_url)} "
                f"({type(cause).__name__}); {HINT}")
    if isinstance(cause, ApiError):
        return f"elasticsearch {cause.meta.status}: {_short(cause.message)}"
    if isinstance(exc, TransientError):
        return _short(exc)
    return None


def without_password(url: str) -> str:
    """``url`` without its user and password, for messages."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit(parts._replace(netloc=netloc))


def _short(value: object) -> str:
    return " ".join(str(value).split())[:300]
