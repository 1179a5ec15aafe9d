"""The one place that turns Settings into an Elasticsearch client: hosts, auth and TLS.

Contradictory settings are refused before any request with one line naming the variables,
so a typo in a deployment is not mistaken for an unreachable or refusing cluster.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from elasticsearch import Elasticsearch

from worker.settings import ENV_PREFIX, Settings

ENV = f"{ENV_PREFIX}ELASTICSEARCH_"


class ElasticsearchSettingsError(ValueError):
    """Elasticsearch settings that contradict each other or point at nothing."""


def client_options(settings: Settings) -> dict[str, Any]:
    """The ``Elasticsearch(...)`` keyword arguments for ``settings``, checked first."""
    hosts = _hosts(settings)
    options: dict[str, Any] = {"hosts": hosts, "request_timeout": settings.elasticsearch_timeout_s,
                               "verify_certs": settings.elasticsearch_verify_certs}
    auth = _auth(settings)
    if auth and any(urlsplit(h).username is not None for h in hosts):
        raise ElasticsearchSettingsError(
            f"{ENV}URL carries a user and {ENV}{'API_KEY' if 'api_key' in auth else 'USERNAME'}"
            " is set too: give the credentials one way")
    options |= auth
    if settings.elasticsearch_ca_certs is not None:
        options |= _ca_certs(settings.elasticsearch_ca_certs, hosts)
    return options


def _hosts(settings: Settings) -> list[str]:
    hosts = settings.elasticsearch_hosts
    if not hosts:
        raise ElasticsearchSettingsError(f"{ENV}URL is empty: give one URL or several, "
                                         "comma-separated")
    for host in hosts:
        parts = urlsplit(host)
        if parts.scheme not in ("http", "https") or not parts.hostname or not _port_ok(host):
            raise ElasticsearchSettingsError(
                f"{ENV}URL: {without_password(host)!r} is not an http:// or https:// URL")
    return hosts


def _ca_certs(ca_certs: Path, hosts: list[str]) -> dict[str, Any]:
    """The CA option for https nodes; plain http nodes take no TLS options."""
    path = ca_certs.expanduser()
    if not path.is_file():
        what = "is a folder, not a PEM file" if path.is_dir() else "does not exist"
        raise ElasticsearchSettingsError(f"{ENV}CA_CERTS: {path} {what}")
    schemes = {urlsplit(h).scheme for h in hosts}
    if schemes == {"http", "https"}:
        raise ElasticsearchSettingsError(
            f"{ENV}CA_CERTS is for https:// nodes and {ENV}URL mixes http:// and https://:"
            " use one scheme")
    return {"ca_certs": str(path)} if schemes == {"https"} else {}


def _auth(settings: Settings) -> dict[str, Any]:
    """``api_key`` or ``basic_auth``, never both; empty variables count as unset."""
    api_key = _secret(settings.elasticsearch_api_key)
    username = settings.elasticsearch_username or None
    password = _secret(settings.elasticsearch_password)
    if api_key and (username or password):
        raise ElasticsearchSettingsError(
            f"{ENV}API_KEY and {ENV}{'USERNAME' if username else 'PASSWORD'} are both set: "
            "use an API key or a user and password, not both")
    if password and not username:
        raise ElasticsearchSettingsError(f"{ENV}PASSWORD is set without {ENV}USERNAME")
    if username and not password:
        raise ElasticsearchSettingsError(f"{ENV}USERNAME is set without {ENV}PASSWORD")
    if api_key:
        # The encoded form is base64 (no colon); "id:key" is the raw pair the API also returns.
        key_id, colon, key = api_key.partition(":")
        return {"api_key": (key_id, key) if colon else api_key}
    if username and password:
        # Encoded here as UTF-8 (what Elasticsearch reads): the client would encode ASCII only.
        return {"basic_auth": base64.b64encode(f"{username}:{password}".encode()).decode()}
    return {}


def _port_ok(url: str) -> bool:
    """``urlsplit`` checks a port only when it is read."""
    try:
        port = urlsplit(url).port
    except ValueError:
        return False
    return port != 0


def _secret(value: Any) -> str | None:
    return (value.get_secret_value() or None) if value is not None else None


def elasticsearch_client(settings: Settings, *, request_timeout: float | None = None,
                         **extra: Any) -> Elasticsearch:
    """A client for the configured nodes (failing over between them); ``extra`` goes to the
    constructor as it is (serializers)."""
    options = client_options(settings)
    if request_timeout is not None:
        options["request_timeout"] = request_timeout
    return Elasticsearch(**options, **extra)


def hosts_for_messages(settings: Settings) -> str:
    """Every configured node URL, without passwords, for error messages."""
    return ", ".join(without_password(h) for h in settings.elasticsearch_hosts) or "(no URL)"


def without_password(url: str) -> str:
    """``url`` without its user and password, for messages."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))
