"""The network under a fetch: one deadline for every step, connections only to checked addresses.

The address check runs inside the network backend on the very address that is dialled, after
resolving the name once, so a DNS answer cannot change between the check and the connect (no
rebinding gap). Every read, write and TLS handshake gets only what is left of the deadline, so
a server that drips one byte at a time is cut off.
"""

from __future__ import annotations

import concurrent.futures
import ipaddress
import os
import ssl
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any

import httpcore
import httpx

from worker.http.address_guard import (
    IPAddress,
    Resolver,
    blocked_reason,
    is_localhost_name,
    parse_ip_literal,
)
from worker.http.errors import BlockedAddressError

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


class Deadline:
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

    def __init__(self, inner: httpcore.NetworkStream, deadline: Deadline) -> None:
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
        self, *, allow_private_networks: bool, deadline: Deadline, resolver: Resolver,
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
        if not self._allow_private and is_localhost_name(host):
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


class GuardedTransport(httpx.BaseTransport):
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


def host_slot(host: str, limit: int) -> threading.BoundedSemaphore:
    """The process-wide semaphore limiting parallel requests to ``host``."""
    key = (host.lower(), limit)
    with _host_slots_lock:
        slot = _host_slots.get(key)
        if slot is None:
            slot = _host_slots[key] = threading.BoundedSemaphore(limit)
        return slot

