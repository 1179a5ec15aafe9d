"""The one place the worker makes HTTP requests: bounded in time and size, public hosts only.

Every fetch runs through :func:`fetch`. The rules hold for every hop of a redirect chain:

* only ``http``/``https``;
* no connection to a loopback, private, link-local, shared (CGNAT), multicast, reserved or
  otherwise non-global address (unless ``allow_private_networks``). The check runs inside the
  network backend on the very address that is dialled, after resolving the name once, so a
  DNS answer cannot change between the check and the connect (no rebinding gap). URL host
  literals in odd encodings (``2130706433``, ``0177.0.0.1``, ``0x7f.1``, ``127.1``) are
  decoded the way ``inet_aton`` does before anything else;
* one deadline for the whole fetch (resolution, connects, TLS, every read and write, all
  redirects, the body), so a server that drips one byte at a time is cut off;
* the body is decompressed here, in bounded steps, and capped while streaming, so a gzip
  bomb is refused after inflating little more than the cap.
"""

from __future__ import annotations

import concurrent.futures
import ipaddress
import os
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

from worker.errors import QuarantineError, TooLargeError, TransientError

if TYPE_CHECKING:
    from worker.settings import Settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Sequence[str]]
"""Turns (host, port) into IP address strings; injectable so tests need no DNS."""

ALLOWED_SCHEMES = frozenset({"http", "https"})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
RATE_LIMIT_STATUSES = frozenset({429, 503})
RETRY_AFTER_MIN_S = 1.0
RETRY_AFTER_MAX_S = 24 * 3600.0
ACCEPT_ENCODING = "gzip, deflate"  # br only if a brotli package is installed; it is not.

_DECODE_STEP = 64 * 1024  # most bytes one decompression step may produce
_CGNAT = ipaddress.IPv4Network("100.64.0.0/10")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_UNIQUE_LOCAL = ipaddress.IPv6Network("fc00::/7")
_LOCALHOST_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")


# --------------------------------------------------------------------------------------------
# Errors


class FetchError(Exception):
    """Marker shared by every error raised here, so callers can catch fetch failures at once."""


class SchemeNotAllowedError(QuarantineError, FetchError):
    """Only http(s) is fetched: file:, ftp:, gopher:, data: … would read local or odd sources."""

    reason_code = "scheme_not_allowed"


class InvalidUrlError(QuarantineError, FetchError):
    """The URL cannot be parsed or has no host; retrying the same string cannot help."""

    reason_code = "invalid_url"


class BlockedAddressError(QuarantineError, FetchError):
    """The host is or resolves to a non-public address: fetching it would be an SSRF."""

    reason_code = "blocked_address"


class TooManyRedirectsError(QuarantineError, FetchError):
    """The redirect chain is longer than the policy allows (or loops)."""

    reason_code = "too_many_redirects"


class HttpStatusError(QuarantineError, FetchError):
    """A 4xx (or unusable 3xx) answer: the resource is gone or refused for good."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message, reason_code=f"http_{status}")
        self.status = status


class BodyTooLargeError(TooLargeError, FetchError):
    """The decompressed body exceeds the cap; reading on would only waste memory."""


class ContentEncodingError(QuarantineError, FetchError):
    """The body's Content-Encoding is unsupported or its compressed data is corrupt."""

    reason_code = "bad_content_encoding"


class RateLimitedError(TransientError, FetchError):
    """429/503: the server asked us to come back later, possibly saying when."""

    def __init__(self, message: str, *, status: int, retry_after_s: float | None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after_s = retry_after_s


class UpstreamError(TransientError, FetchError):
    """A 5xx other than 503: the server failed, a later try may work."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status


class FetchTimeoutError(TransientError, FetchError):
    """The fetch's total time budget ran out."""


class FetchConnectError(TransientError, FetchError):
    """Resolution, connection, TLS or the HTTP exchange failed on the network."""


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
# Pure helpers: addresses and URLs


def parse_ip_literal(host: str) -> IPAddress | None:
    """The IP a host literal means to ``inet_aton`` (``2130706433``, ``0x7f.1``, ``127.1``…)."""
    text = host.strip().lower()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    if ":" in text:
        try:
            return ipaddress.IPv6Address(text.replace("%25", "%"))
        except ValueError:
            return None
    text = text.removesuffix(".")
    parts = text.split(".")
    if not 1 <= len(parts) <= 4:
        return None
    values: list[int] = []
    for part in parts:
        if part[:2] == "0x":
            digits, base, allowed = part[2:], 16, "0123456789abcdef"
        elif len(part) > 1 and part[0] == "0":
            digits, base, allowed = part[1:], 8, "01234567"
        else:
            digits, base, allowed = part, 10, "0123456789"
        if not digits or any(ch not in allowed for ch in digits):
            return None
        values.append(int(digits, base))
    *head, last = values
    if any(v > 255 for v in head) or last >= 256 ** (4 - len(head)):
        return None
    number = 0
    for v in head:
        number = number * 256 + v
    return ipaddress.IPv4Address((number << (8 * (4 - len(head)))) | last)


def _embedded_ipv4(address: ipaddress.IPv6Address) -> tuple[str, ipaddress.IPv4Address] | None:
    """The IPv4 address an IPv6 address carries (mapped, NAT64, compatible, 6to4), if any."""
    if address.ipv4_mapped is not None:
        return "IPv4-mapped", address.ipv4_mapped
    if address in _NAT64:
        return "NAT64", ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if int(address) >> 32 == 0 and int(address) > 1:
        return "IPv4-compatible", ipaddress.IPv4Address(int(address))
    if address.sixtofour is not None:
        return "6to4", address.sixtofour
    return None


def blocked_reason(address: IPAddress) -> str | None:
    """Why connecting to ``address`` is refused, or None for a public unicast address."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            kind, v4 = embedded
            inner = blocked_reason(v4)
            if inner is not None:
                return f"{kind} {inner}"
            if kind in ("IPv4-mapped", "NAT64"):
                return None  # the packets go to the public IPv4 address
            if kind == "IPv4-compatible":
                return "IPv4-compatible (deprecated)"
        if address.teredo is not None:
            return "teredo"
        if address.is_site_local:
            return "site-local"
        if address in _UNIQUE_LOCAL:
            return "unique-local"
    elif address in _CGNAT:
        return "shared (CGNAT)"
    checks = (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("private", address.is_private),
        ("reserved", address.is_reserved),
        ("non-global", not address.is_global),
    )
    return next((name for name, hit in checks if hit), None)


def _is_localhost_name(host: str) -> bool:
    """Names that mean this machine whatever DNS says (RFC 6761 reserves ``.localhost``)."""
    name = host.strip().lower().removesuffix(".")
    return name in _LOCALHOST_NAMES or name.endswith(".localhost")


def check_url(url: str, *, allow_private_networks: bool) -> str:
    """Refuse a bad scheme or literal host before any connection; return the host."""
    # Names are checked on their resolved addresses at connect time (GuardedBackend); this
    # early check spares a connection attempt and gives a precise error.
    try:
        parts = urlsplit(url.strip())
        _ = parts.port  # raises ValueError for a port that is not a number in range
    except ValueError as exc:
        raise InvalidUrlError(f"unparseable URL {url!r}: {exc}") from None
    scheme = parts.scheme.lower()
    if not scheme:
        raise InvalidUrlError(f"URL without scheme: {url!r}")
    if scheme not in ALLOWED_SCHEMES:
        raise SchemeNotAllowedError(
            f"scheme {scheme or '(none)'!r} not allowed (only http, https): {url!r}"
        )
    host = parts.hostname
    if not host:
        raise InvalidUrlError(f"URL without host: {url!r}")
    if not allow_private_networks:
        if _is_localhost_name(host):
            raise BlockedAddressError(f"refused host {host!r}: a loopback name")
        literal = parse_ip_literal(host)
        if literal is not None and (reason := blocked_reason(literal)) is not None:
            raise BlockedAddressError(f"refused host {host!r}: address {literal} is {reason}")
    return host


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
# Network: resolution, guarded connects, deadlines


def system_resolver(host: str, port: int) -> list[str]:
    """Resolve with the C library, as the connection would, keeping the order it returns."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


_executor_lock = threading.Lock()
_executor: tuple[int, concurrent.futures.ThreadPoolExecutor] | None = None


def _resolver_pool() -> concurrent.futures.ThreadPoolExecutor:
    """Threads for getaddrinfo, so a hanging lookup cannot outlive the deadline."""
    # Recreated after a fork (Celery prefork): a child inherits no threads.
    global _executor
    with _executor_lock:
        if _executor is None or _executor[0] != os.getpid():
            pool = concurrent.futures.ThreadPoolExecutor(8, thread_name_prefix="fetch-dns")
            _executor = (os.getpid(), pool)
        return _executor[1]


class _Deadline:
    """The fetch's single end time; every blocking step gets only what is left of it."""

    def __init__(self, budget_s: float) -> None:
        self.end = time.monotonic() + budget_s
        self.budget_s = budget_s

    def remaining(self) -> float:
        """Seconds left, never negative."""
        return max(self.end - time.monotonic(), 0.0)

    def clamp(self, timeout: float | None, exc: type[Exception]) -> float:
        """``timeout`` cut to what is left; raise ``exc`` when nothing is left."""
        left = self.end - time.monotonic()
        if left <= 0:
            raise exc(f"total fetch time of {self.budget_s:g} s exceeded")
        return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """Gives each read, write and TLS handshake only the time left, so dripping cannot stall."""

    def __init__(self, inner: httpcore.NetworkStream, deadline: _Deadline) -> None:
        self._inner = inner
        self._deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        """Read with the remaining time as the timeout."""
        return self._inner.read(max_bytes, self._deadline.clamp(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        """Write with the remaining time as the timeout."""
        self._inner.write(buffer, self._deadline.clamp(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        """Close the socket."""
        self._inner.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        """Handshake within the remaining time; certificates are checked for the URL's host."""
        left = self._deadline.clamp(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(
            self._inner.start_tls(ssl_context, server_hostname, left), self._deadline
        )

    def get_extra_info(self, info: str) -> Any:
        """Expose the socket's details as httpcore expects."""
        return self._inner.get_extra_info(info)


class GuardedBackend(httpcore.NetworkBackend):
    """Dials only an address it checked (never the name again): no DNS-rebinding gap."""

    def __init__(
        self, *, allow_private_networks: bool, deadline: _Deadline, resolver: Resolver,
        inner: httpcore.NetworkBackend | None = None,
    ) -> None:
        self._allow_private = allow_private_networks
        self._deadline = deadline
        self._resolver = resolver
        self._inner = inner or httpcore.SyncBackend()

    def _addresses(self, host: str, port: int) -> list[IPAddress]:
        """The addresses for ``host``: its literal, or what the resolver says within the time."""
        literal = parse_ip_literal(host)
        if literal is not None:
            return [literal]
        future = _resolver_pool().submit(self._resolver, host, port)
        try:
            names = future.result(self._deadline.clamp(None, httpcore.ConnectTimeout))
        except concurrent.futures.TimeoutError:
            raise httpcore.ConnectTimeout(f"resolving {host!r} took too long") from None
        except OSError as exc:
            raise httpcore.ConnectError(f"cannot resolve {host!r}: {exc}") from None
        addresses: list[IPAddress] = []
        for name in names:
            try:
                addresses.append(ipaddress.ip_address(name))
            except ValueError:
                raise httpcore.ConnectError(f"resolver gave {name!r} for {host!r}") from None
        if not addresses:
            raise httpcore.ConnectError(f"no address for {host!r}")
        return addresses

    def connect_tcp(
        self, host: str, port: int, timeout: float | None = None,
        local_address: str | None = None, socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        """Check every address of ``host`` before dialling any of them."""
        if not self._allow_private and _is_localhost_name(host):
            raise BlockedAddressError(f"refused host {host!r}: a loopback name")
        addresses = self._addresses(host, port)
        if not self._allow_private:
            for address in addresses:
                if (reason := blocked_reason(address)) is not None:
                    raise BlockedAddressError(
                        f"refused host {host!r}: address {address} is {reason}"
                    )
        last_error: Exception | None = None
        for address in addresses:
            try:
                stream = self._inner.connect_tcp(
                    str(address), port, self._deadline.clamp(timeout, httpcore.ConnectTimeout),
                    local_address, socket_options,
                )
            except httpcore.ConnectError as exc:
                last_error = exc
                continue
            return _DeadlineStream(stream, self._deadline)
        raise httpcore.ConnectError(f"cannot connect to {host!r}: {last_error}")

    def connect_unix_socket(
        self, path: str, timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        """Never used: fetches go over TCP only."""
        raise httpcore.ConnectError("unix sockets are not fetched")

    def sleep(self, seconds: float) -> None:
        """Pause (httpcore's connect retries; we configure none)."""
        time.sleep(seconds)


class _CoreByteStream(httpx.SyncByteStream):
    """Hands httpcore's response stream to httpx unchanged."""

    def __init__(self, inner: Iterable[bytes]) -> None:
        self._inner = inner

    def __iter__(self) -> Iterator[bytes]:
        """Yield the raw body as it arrives."""
        yield from self._inner

    def close(self) -> None:
        """Release the connection."""
        closer = getattr(self._inner, "close", None)
        if closer is not None:
            closer()


class _GuardedTransport(httpx.BaseTransport):
    """httpx over an httpcore pool whose every connection goes through GuardedBackend."""

    def __init__(self, backend: httpcore.NetworkBackend) -> None:
        self._pool = httpcore.ConnectionPool(
            ssl_context=_ssl_context(), network_backend=backend, http1=True, http2=False,
            retries=0,
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send one request; errors stay httpcore's and are translated by ``fetch``."""
        assert isinstance(request.stream, Iterable)
        core = httpcore.Request(
            method=request.method,
            url=httpcore.URL(scheme=request.url.raw_scheme, host=request.url.raw_host,
                             port=request.url.port, target=request.url.raw_path),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        response = self._pool.handle_request(core)
        assert isinstance(response.stream, Iterable)
        return httpx.Response(
            status_code=response.status, headers=response.headers,
            stream=_CoreByteStream(response.stream), extensions=response.extensions,
        )

    def close(self) -> None:
        """Close pooled connections."""
        self._pool.close()


_ssl_lock = threading.Lock()
_ssl_cached: ssl.SSLContext | None = None


def _ssl_context() -> ssl.SSLContext:
    """One verifying TLS context per process: loading the CA bundle each fetch is slow."""
    global _ssl_cached
    with _ssl_lock:
        if _ssl_cached is None:
            _ssl_cached = httpx.create_ssl_context(verify=True, trust_env=False)
        return _ssl_cached


_host_slots_lock = threading.Lock()
_host_slots: dict[tuple[str, int], threading.BoundedSemaphore] = {}


def _host_slot(host: str, limit: int) -> threading.BoundedSemaphore:
    """The process-wide semaphore limiting parallel requests to ``host``."""
    key = (host.lower(), limit)
    with _host_slots_lock:
        slot = _host_slots.get(key)
        if slot is None:
            slot = _host_slots[key] = threading.BoundedSemaphore(limit)
        return slot


# --------------------------------------------------------------------------------------------
# The fetch


def _header(headers: Mapping[str, str], name: str) -> str | None:
    """A header value, or None when missing or blank."""
    value = headers.get(name)
    return value if value and value.strip() else None


def _timed(chunks: Iterable[bytes], deadline: _Deadline) -> Iterator[bytes]:
    """Stop a body that keeps arriving past the deadline (each read alone may be quick)."""
    for chunk in chunks:
        deadline.clamp(None, FetchTimeoutError)
        yield chunk


def _read_body(response: httpx.Response, policy: FetchPolicy, deadline: _Deadline) -> bytes:
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
    client: httpx.Client, url: str, headers: dict[str, str], deadline: _Deadline,
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
) -> FetchResult:
    """GET ``url`` under ``policy``: the only way the worker talks HTTP, so every rule holds."""
    # etag/last_modified make the request conditional (304 -> not_modified). resolver
    # (default getaddrinfo) and network_backend (what dials a checked address; default plain
    # TCP) are there so tests can simulate DNS and hosts.
    started = time.monotonic()
    deadline = _Deadline(policy.timeout_s)
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
    with httpx.Client(transport=_GuardedTransport(backend), trust_env=False) as client:
        while True:
            host = check_url(current, allow_private_networks=policy.allow_private_networks)
            slot = _host_slot(host, policy.per_host_concurrency)
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
