"""Import the saved objects into a running Kibana (adapter, httpx): what the compose job
``kibana-setup`` does with curl, for a Kibana the user already runs.

``GET /api/status`` first (reachable? credentials accepted? available? new enough?), then
``POST /api/saved_objects/_import?overwrite=true`` with the ndjson as the multipart field
``file`` and ``kbn-xsrf: true``. Every failure is a ``KibanaError`` with a one-line message.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx

from worker.kibana.saved_object import KIBANA_VERSION

READY = {"available", "degraded"}  # a degraded Kibana still imports; unavailable does not
POLL_S = 5.0  # between two looks at /api/status while waiting


class KibanaError(Exception):
    """Why the import did not happen, in one line."""


@dataclass(frozen=True)
class Credentials:
    """An API key (``Authorization: ApiKey …``) or a user and password (basic), or neither."""

    api_key: str | None = None
    user: str | None = None
    password: str | None = None

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"ApiKey {self.api_key}"} if self.api_key else {}

    def auth(self) -> httpx.BasicAuth | None:
        return httpx.BasicAuth(self.user, self.password or "") if self.user else None


@dataclass(frozen=True)
class ImportReport:
    """What Kibana said: its version and how many objects it imported."""

    url: str
    kibana_version: str | None
    imported: int
    sent: int

    def as_dict(self) -> dict[str, Any]:
        return {"url": self.url, "kibana_version": self.kibana_version,
                "imported": self.imported, "sent": self.sent}


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split("-")[0].split(".")[:3] if p.isdigit())


def _one_line(text: str, limit: int = 300) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[:limit] + "…"


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return _one_line(response.text)
    if isinstance(body, dict):
        return _one_line(str(body.get("message") or body.get("error") or body))
    return _one_line(str(body))


def _refused(url: str, response: httpx.Response) -> KibanaError:
    """A one-line error for a non-2xx answer."""
    code = response.status_code
    if code == 401:
        return KibanaError(f"kibana at {url} refused the credentials (401 Unauthorized): "
                           "give --api-key, or --user and --password")
    if code == 403:
        return KibanaError(f"kibana at {url}: these credentials may not import saved objects "
                           f"(403 Forbidden: {_message(response)})")
    if 300 <= code < 400:
        return KibanaError(f"kibana at {url} redirects ({code}) to "
                           f"{response.headers.get('location')}: give that URL (with its base "
                           "path) to --url")
    return KibanaError(f"kibana at {url} answered {code}: {_message(response)}")


def describe_errors(errors: list[dict[str, Any]], sent: int) -> str:
    """One line for the ``errors`` of an import response (conflicts, missing references…)."""
    parts = []
    for e in errors:
        error = e.get("error") or {}
        kind = error.get("type", "unknown")
        detail = error.get("message") or ", ".join(
            f"{r.get('type')}/{r.get('id')}" for r in error.get("references") or [])
        parts.append(f"{e.get('type')}/{e.get('id')} ({kind}{': ' + detail if detail else ''})")
    return _one_line(f"kibana refused {len(errors)} of {sent} saved objects: " + "; ".join(parts),
                     limit=1000)


def _status(client: httpx.Client, url: str, wait_s: float) -> dict[str, Any]:
    """Kibana's status once it answers and is ready, waiting up to ``wait_s`` seconds."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            response = client.get("/api/status")
        except httpx.HTTPError as exc:
            problem = f"unreachable ({type(exc).__name__}: {_one_line(str(exc), 120)})"
        else:
            if response.status_code in (401, 403) or 300 <= response.status_code < 400:
                raise _refused(url, response)
            try:
                body = response.json()
            except ValueError:
                body = None
            level = ((body.get("status") or {}).get("overall") or {}).get("level") \
                if isinstance(body, dict) else None
            if response.status_code == 200 and isinstance(body, dict) and level in READY:
                return body
            problem = f"not ready (status {response.status_code}, overall level {level})" \
                if isinstance(body, dict) or response.status_code != 200 \
                else "answering /api/status with no JSON: is it Kibana?"
        if time.monotonic() >= deadline:
            raise KibanaError(f"kibana at {url} is {problem}"
                              + ("" if wait_s else "; --wait SECONDS waits for it"))
        time.sleep(min(POLL_S, max(0.0, deadline - time.monotonic())))


def import_saved_objects(url: str, ndjson: bytes, *, filename: str = "saved-objects.ndjson",
                         credentials: Credentials = Credentials(), wait_s: float = 0.0,
                         timeout_s: float = 60.0) -> ImportReport:
    """Import ``ndjson`` into the Kibana at ``url``, overwriting the objects of earlier imports.

    Raises ``KibanaError`` when Kibana is unreachable, refuses the credentials, is older than
    the objects need, or refuses any object.
    """
    url = url.rstrip("/")
    sent = sum(1 for line in ndjson.splitlines() if line.strip())
    with httpx.Client(base_url=url, headers=credentials.headers(), auth=credentials.auth(),
                      timeout=timeout_s) as client:
        status = _status(client, url, wait_s)
        version = (status.get("version") or {}).get("number")
        if version and _version(version) < _version(KIBANA_VERSION)[:2]:
            raise KibanaError(f"kibana at {url} is {version}; these saved objects are written "
                              f"for {KIBANA_VERSION} and need Kibana 8.14 or later")
        try:
            response = client.post(
                "/api/saved_objects/_import", params={"overwrite": "true"},
                headers={"kbn-xsrf": "true"},
                files={"file": (filename, ndjson, "application/ndjson")})
        except httpx.HTTPError as exc:
            raise KibanaError(f"kibana at {url} did not take the import "
                              f"({type(exc).__name__}: {_one_line(str(exc), 120)})") from exc
    if response.status_code != 200:
        raise _refused(url, response)
    try:
        body = response.json()
    except ValueError as exc:
        raise KibanaError(f"kibana at {url} answered the import with no JSON: "
                          f"{_one_line(response.text)}") from exc
    if body.get("errors") or not body.get("success"):
        raise KibanaError(describe_errors(body.get("errors") or [], sent))
    return ImportReport(url, version, int(body.get("successCount", 0)), sent)
