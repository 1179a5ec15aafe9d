"""A service that cannot be reached (the stack is not up, a wrong address) is one line on
stderr and exit code 1, whichever command met it, not a traceback."""

from __future__ import annotations

import re

import kombu.exceptions
import redis.exceptions
from elasticsearch import ApiError, SSLError, TransportError
from rich.markup import escape

from worker.errors import TransientError
from worker.index.connection import (
    ENV,
    ElasticsearchSettingsError,
    hosts_for_messages,
    without_password,
)
from worker.settings import Settings

HINT = "is the stack up? (`newsworker dev up`, `newsworker dev status`)"


def service_error_message(exc: BaseException, settings: Settings) -> str | None:
    """The one-line error for a service failure, or None for anything else (a bug)."""
    cause = exc.__cause__ if isinstance(exc, TransientError) and exc.__cause__ else exc
    if isinstance(cause, redis.exceptions.ConnectionError | redis.exceptions.TimeoutError
                  | kombu.exceptions.OperationalError):
        return (f"cannot reach Redis at {without_password(settings.redis_url)} "
                f"({_short(cause)}); {HINT}")
    if isinstance(cause, ElasticsearchSettingsError):
        return str(cause)
    if isinstance(cause, SSLError):
        return _tls_message(cause, hosts_for_messages(settings))
    if isinstance(cause, TransportError):
        return (f"cannot reach Elasticsearch at {hosts_for_messages(settings)} "
                f"({type(cause).__name__}); {HINT}")
    if isinstance(cause, ApiError) and cause.meta.status == 401:
        return (f"Elasticsearch at {hosts_for_messages(settings)} refused authentication (401):"
                f" check {ENV}API_KEY, or {ENV}USERNAME and {ENV}PASSWORD")
    if isinstance(cause, ApiError) and cause.meta.status == 403:
        return (f"Elasticsearch at {hosts_for_messages(settings)} refused authorisation (403): "
                f"{escape(_short(_reason(cause)))}")
    if isinstance(cause, ApiError):
        return f"elasticsearch {cause.meta.status}: {_short(cause.message)}"
    if isinstance(exc, TransientError):
        return _short(exc)
    return None


def _tls_message(exc: SSLError, hosts: str) -> str:
    """An untrusted certificate names the CA setting; any other TLS failure says what it was."""
    text = " ".join(str(exc).split())
    verify = re.search(r"certificate verify failed: ([^(]+)", text)
    if verify:
        return (f"TLS certificate of Elasticsearch at {hosts} not trusted "
                f"({verify.group(1).strip()}): set {ENV}CA_CERTS to the CA (PEM) that signed it")
    return f"TLS handshake with Elasticsearch at {hosts} failed ({_short(text)})"


def _reason(exc: ApiError) -> str:
    body = exc.body if isinstance(exc.body, dict) else {}
    error = body.get("error")
    return str(error.get("reason") if isinstance(error, dict) else exc.message)


def _short(value: object) -> str:
    return " ".join(str(value).split())[:300]
