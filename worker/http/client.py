"""The one place the worker makes HTTP requests: bounded in time and size, public hosts only.

Every fetch runs through :func:`fetch`. The rules hold for every hop of a redirect chain:

* only ``http``/``https``;
* no connection to a loopback, private, link-local, shared (CGNAT), multicast, reserved or
  otherwise non-global address (unless ``allow_private_networks``), checked on the address
  actually dialled (``address_guard``, ``transport``);
* one deadline for the whole fetch (resolution, connects, TLS, every read and write, all
  redirects, the body), so a server that drips one byte at a time is cut off;
* the body is decompressed here, in bounded steps, and capped while streaming, so a gzip
  bomb is refused after inflating little more than the cap.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

import httpcore
import httpx

from worker.http.address_guard import Resolver, check_url, system_resolver
from worker.http.errors import (
    BodyTooLargeError,
    ContentEncodingError,
    FetchConnectError,
    FetchError,
    FetchTimeoutError,
    HttpStatusError,
    InvalidUrlError,
    RateLimitedError,
    SchemeNotAllowedError,
    TooManyRedirectsError,
    UpstreamError,
)
from worker.http.transport import Deadline, GuardedBackend, GuardedTransport, host_slot

if TYPE_CHECKING:
    from worker.settings import Settings

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
RATE_LIMIT_STATUSES = frozenset({429, 503})
RETRY_AFTER_MIN_S = 1.0
RETRY_AFTER_MAX_S = 24 * 3600.0
ACCEPT_ENCODING = "gzip, deflate"  # br only if a brotli package is installed; it is not.

_DECODE_STEP = 64 * 1024  # most bytes one decompression step may produce


# --------------------------------------------------------------------------------------------
# Policy and result


@dataclass(frozen=True)
class FetchPolicy:
    """The limits of one fetch, taken from settings so every caller applies the same rules."""

    timeout_s: float = 20.0
    max_body_bytes: int = 15 * 1024 * 1024
    max_redirects: int = 5
    allow_private_networks: bool = False
    user_agent: str = "newsworker/0.1 (+https://example.invalid/newsworker)"
    per_host_concurrency: int = 2

    def __post_init__(self) -> None:
        """Refuse limits that would silently disable a protection."""
        if not self.timeout_s > 0:
            raise ValueError("timeout_s must be > 0")
        if self.max_body_bytes < 1:
            raise ValueError("max_body_bytes must be >= 1")
        if self.max_redirects < 0:
            raise ValueError("max_redirects must be >= 0")
        if self.per_host_concurrency < 1:
            raise ValueError("per_host_concurrency must be >= 1")

    @classmethod
    def from_settings(cls, settings: Settings) -> FetchPolicy:
        """The policy configured for this deployment."""
        return cls(
            timeout_s=settings.fetch_timeout_s,
            max_body_bytes=settings.fetch_max_bytes,
            max_redirects=settings.fetch_max_redirects,
            allow_private_networks=settings.allow_private_networks,
            user_agent=settings.user_agent,
            per_host_concurrency=settings.fetch_per_host_concurrency,
        )


@dataclass(frozen=True)
class FetchResult:
    """What a successful (2xx or 304) fetch returns; headers have lower-case keys."""

    url: str
    status: int
    headers: dict[str, str]
    body: bytes
    not_modified: bool
    etag: str | None
    last_modified: str | None
    content_type: str | None
    retry_after_s: float | None
    cache_ttl_s: float | None
    elapsed_s: float
    redirects: list[str] = field(default_factory=list)
    """URLs that answered with a redirect, in order; ``url`` is where the chain ended."""


# --------------------------------------------------------------------------------------------
# Pure helpers: headers


def _parse_http_date(value: str) -> datetime | None:
    """An HTTP-date (any of the three RFC 9110 forms) as an aware datetime, or None."""
    try:
        parsed = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _aware(now: datetime) -> datetime:
    """Treat a naive ``now`` as UTC so comparisons with header dates never raise."""
    return now if now.tzinfo else now.replace(tzinfo=UTC)


def parse_retry_after(value: str, now: datetime) -> float | None:
    """Seconds a server asked us to wait, within [1 s, 24 h]; None lets our own backoff rule."""
    text = value.strip()
    if not text:
        return None
    seconds: float
    if text.replace(".", "", 1).isdigit() and text.isascii():
        seconds = float(text)
    else:
        when = _parse_http_date(text)
        if when is None:
            return None
        seconds = (when - _aware(now)).total_seconds()
    return min(max(seconds, RETRY_AFTER_MIN_S), RETRY_AFTER_MAX_S)


def _cache_directives(value: str) -> dict[str, str | None]:
    """Cache-Control as {directive: argument}; first occurrence wins, as RFC 9111 suggests."""
    directives: dict[str, str | None] = {}
    for part in value.split(","):
        name, sep, arg = part.strip().partition("=")
        name = name.strip().lower()
        if name and name not in directives:
            directives[name] = arg.strip().strip('"') if sep else None
    return directives


def _seconds(arg: str | None) -> float | None:
    """A delta-seconds argument, or None when missing or malformed."""
    if arg is None or not arg.isascii() or not arg.isdigit():
        return None
    return float(arg)


def cache_ttl(headers: Mapping[str, str], now: datetime) -> float | None:
    """How long a response stays fresh, so pollers can skip a fetch; None when not stated."""
    # no-store/no-cache (or HTTP/1.0 Pragma: no-cache) mean 0; s-maxage wins over max-age (the
    # worker is a shared cache), which wins over Expires minus Date (or now); an unreadable
    # Expires means already stale; the Age a cache in between has spent is subtracted.
    lower = {k.lower(): v for k, v in headers.items()}
    age = _seconds(lower.get("age", "").strip()) or 0.0
    cache_control = lower.get("cache-control")
    if cache_control is not None:
        directives = _cache_directives(cache_control)
        if "no-store" in directives or "no-cache" in directives:
            return 0.0
        for name in ("s-maxage", "max-age"):
            if name in directives and (lifetime := _seconds(directives[name])) is not None:
                return max(lifetime - age, 0.0)
    elif "no-cache" in lower.get("pragma", "").lower():
        return 0.0
    expires = lower.get("expires")
    if expires is None:
        return None
    expires_at = _parse_http_date(expires)
    if expires_at is None:
        return 0.0
    date = _parse_http_date(lower.get("date", "")) or _aware(now)
    return max((expires_at - date).total_seconds() - age, 0.0)


# --------------------------------------------------------------------------------------------
# Pure helper: bounded decompression


def _inflate(chunks: Iterable[bytes], encoding: str) -> Iterator[bytes]:
    """Decompress gzip (all members) or deflate (zlib or raw) in steps of at most 64 KiB."""
    decoder: Any = None  # zlib's decompressor type is not importable for annotations
    pending = b""
    for chunk in chunks:
        data = pending + chunk
        pending = b""
        while data:
            if decoder is None:
                if encoding == "gzip":
                    wbits = 16 + zlib.MAX_WBITS
                elif len(data) < 2:
                    pending = data  # need two bytes to tell zlib from raw deflate
                    break
                else:
                    is_zlib = (data[0] & 0x0F) == 8 and ((data[0] << 8) | data[1]) % 31 == 0
                    wbits = zlib.MAX_WBITS if is_zlib else -zlib.MAX_WBITS
                decoder = zlib.decompressobj(wbits)
            while True:
                out = decoder.decompress(data, _DECODE_STEP)
                data = decoder.unconsumed_tail
                if out:
                    yield out
                if decoder.eof or (not data and len(out) < _DECODE_STEP):
                    break
            if decoder.eof:
                rest = decoder.unused_data
                # Another gzip member follows; anything else after the end is ignored.
                data = rest if encoding == "gzip" and rest[:2] == b"\x1f\x8b" else b""
                decoder = None if data else decoder
    if decoder is not None and not decoder.eof:
        tail = decoder.flush()  # a truncated stream keeps what it had
        if tail:
            yield tail


def decode_body(chunks: Iterable[bytes], content_encoding: str | None, max_bytes: int) -> bytes:
    """Undo Content-Encoding while streaming, stopping as soon as ``max_bytes`` is exceeded."""
    codings = [
        c.strip().lower() for c in (content_encoding or "").split(",") if c.strip()
    ]
    stream: Iterable[bytes] = chunks
    for coding in reversed(codings):  # the last coding listed was applied last
        if coding in ("gzip", "x-gzip"):
            stream = _inflate(stream, "gzip")
        elif coding == "deflate":
            stream = _inflate(stream, "deflate")
        elif coding != "identity":
            raise ContentEncodingError(f"unsupported Content-Encoding {coding!r}")
    body = bytearray()
    try:
        for piece in stream:
            if len(body) + len(piece) > max_bytes:
                raise BodyTooLargeError(f"body exceeds {max_bytes} bytes once decompressed")
            body += piece
    except zlib.error as exc:
        raise ContentEncodingError(f"corrupt {content_encoding} data: {exc}") from None
    return bytes(body)


# --------------------------------------------------------------------------------------------
# The fetch


def _header(headers: Mapping[str, str], name: str) -> str | None:
    """A header value, or None when missing or blank."""
    value = headers.get(name)
    return value if value and value.strip() else None


def _timed(chunks: Iterable[bytes], deadline: Deadline) -> Iterator[bytes]:
    """Stop a body that keeps arriving past the deadline (each read alone may be quick)."""
    for chunk in chunks:
        deadline.clamp(None, FetchTimeoutError)
        yield chunk


def _read_body(response: httpx.Response, policy: FetchPolicy, deadline: Deadline) -> bytes:
    """The decoded body within the size cap and the deadline."""
    encoding = response.headers.get("content-encoding")
    length = response.headers.get("content-length", "")
    if not encoding and length.isdigit() and int(length) > policy.max_body_bytes:
        raise BodyTooLargeError(
            f"Content-Length {length} exceeds {policy.max_body_bytes} bytes: {response.url}"
        )
    body = decode_body(_timed(response.iter_raw(), deadline), encoding, policy.max_body_bytes)
    deadline.clamp(None, FetchTimeoutError)
    return body


def _result(
    response: httpx.Response, body: bytes, *, etag: str | None, last_modified: str | None,
    redirects: list[str], started: float,
) -> FetchResult:
    """Assemble the result from a final response."""
    headers = {k.lower(): v for k, v in response.headers.items()}
    now = datetime.now(UTC)
    retry_after = _header(headers, "retry-after")
    return FetchResult(
        url=str(response.url),
        status=response.status_code,
        headers=headers,
        body=body,
        not_modified=response.status_code == 304,
        etag=_header(headers, "etag") or etag,
        last_modified=_header(headers, "last-modified") or last_modified,
        content_type=_header(headers, "content-type"),
        retry_after_s=parse_retry_after(retry_after, now) if retry_after else None,
        cache_ttl_s=cache_ttl(headers, now),
        elapsed_s=time.monotonic() - started,
        redirects=redirects,
    )


def _raise_for_status(response: httpx.Response) -> None:
    """Turn an error status into the error that decides retry or quarantine."""
    status = response.status_code
    where = f"{status} from {response.url}"
    if status in RATE_LIMIT_STATUSES:
        value = response.headers.get("retry-after")
        delay = parse_retry_after(value, datetime.now(UTC)) if value else None
        raise RateLimitedError(f"rate limited: {where}", status=status, retry_after_s=delay)
    if status >= 500:
        raise UpstreamError(f"server error: {where}", status=status)
    raise HttpStatusError(f"refused: {where}", status=status)


def _send(
    client: httpx.Client, url: str, headers: dict[str, str], deadline: Deadline,
) -> httpx.Response:
    """Open a streamed GET with the time that is left (the stream clamps each read further)."""
    left = deadline.clamp(None, FetchTimeoutError)
    try:
        target = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise InvalidUrlError(f"unparseable URL {url!r}: {exc}") from None
    request = client.build_request("GET", target, headers=headers, timeout=httpx.Timeout(left))
    return client.send(request, stream=True, follow_redirects=False)


def _translate(exc: Exception, url: str) -> FetchError:
    """Map httpx/httpcore failures onto the errors that decide retry or quarantine."""
    if isinstance(exc, httpcore.TimeoutException | httpx.TimeoutException):
        return FetchTimeoutError(f"timed out fetching {url}: {exc}")
    if isinstance(exc, httpcore.UnsupportedProtocol | httpx.UnsupportedProtocol):
        return SchemeNotAllowedError(f"unsupported scheme for {url}: {exc}")
    if isinstance(exc, httpx.InvalidURL | httpcore.LocalProtocolError | httpx.LocalProtocolError):
        return InvalidUrlError(f"cannot send a request for {url}: {exc}")
    return FetchConnectError(f"network failure fetching {url}: {exc}")


def fetch(
    url: str, policy: FetchPolicy, *, etag: str | None = None, last_modified: str | None = None,
    resolver: Resolver | None = None, network_backend: httpcore.NetworkBackend | None = None,
    before_request: Callable[[str], None] | None = None,
) -> FetchResult:
    """GET ``url`` under ``policy``: the only way the worker talks HTTP, so every rule holds."""
    # etag/last_modified make the request conditional (304 -> not_modified). resolver
    # (default getaddrinfo) and network_backend (what dials a checked address; default plain
    # TCP) are there so tests can simulate DNS and hosts. before_request sees every URL of
    # the chain before it is requested and may refuse it by raising (robots.txt does).
    started = time.monotonic()
    deadline = Deadline(policy.timeout_s)
    headers = {"User-Agent": policy.user_agent, "Accept": "*/*",
               "Accept-Encoding": ACCEPT_ENCODING}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    backend = GuardedBackend(
        allow_private_networks=policy.allow_private_networks, deadline=deadline,
        resolver=resolver or system_resolver, inner=network_backend,
    )
    redirects: list[str] = []
    current = url.strip()
    with httpx.Client(transport=GuardedTransport(backend), trust_env=False) as client:
        while True:
            host = check_url(current, allow_private_networks=policy.allow_private_networks)
            if before_request is not None:
                before_request(current)
            slot = host_slot(host, policy.per_host_concurrency)
            if not slot.acquire(timeout=deadline.remaining()):
                raise FetchTimeoutError(f"no free slot for host {host!r} within the time limit")
            try:
                response = _send(client, current, headers, deadline)
                try:
                    status = response.status_code
                    if status in REDIRECT_STATUSES and response.headers.get("location"):
                        if len(redirects) >= policy.max_redirects:
                            raise TooManyRedirectsError(
                                f"more than {policy.max_redirects} redirects from {url}"
                            )
                        redirects.append(str(response.url))
                        current = urljoin(str(response.url), response.headers["location"])
                        continue
                    if status == 304:
                        return _result(response, b"", etag=etag, last_modified=last_modified,
                                       redirects=redirects, started=started)
                    if not 200 <= status < 300:
                        _raise_for_status(response)
                    body = _read_body(response, policy, deadline)
                    return _result(response, body, etag=None, last_modified=None,
                                   redirects=redirects, started=started)
                finally:
                    response.close()
            except FetchError:
                raise
            except (httpx.HTTPError, httpcore.ConnectionNotAvailable, httpcore.NetworkError,
                    httpcore.ProtocolError, httpcore.TimeoutException,
                    httpcore.UnsupportedProtocol) as exc:
                raise _translate(exc, current) from exc
            finally:
                slot.release()
