"""The fetcher against a real HTTP server on 127.0.0.1: limits, redirects, SSRF refusals.

No external network: "public" hosts are simulated by a stub resolver that answers a public
address and a network backend that routes that one address to the local server, so the
production checks run unchanged. Every refusal also asserts that no connection was made.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
import tracemalloc
import zlib
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import httpcore
import pytest

from worker.http import (
    BlockedAddressError,
    BodyTooLargeError,
    FetchConnectError,
    FetchPolicy,
    FetchResult,
    FetchTimeoutError,
    HttpStatusError,
    RateLimitedError,
    SchemeNotAllowedError,
    TooManyRedirectsError,
    UpstreamError,
    fetch,
)

pytestmark = pytest.mark.integration

PUBLIC_IP = "93.184.216.34"  # what the stub resolver answers for the "public" test host
OPEN = FetchPolicy(allow_private_networks=True, timeout_s=10)
STRICT = FetchPolicy(allow_private_networks=False, timeout_s=10)
FEED = b"<rss><channel><title>t</title></channel></rss>"
BOMB_SIZE = 50 * 1024 * 1024


def _gzip(chunks: Iterable[bytes]) -> bytes:
    packer = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    return b"".join(packer.compress(c) for c in chunks) + packer.flush()


BOMB = _gzip(bytes(1024 * 1024) for _ in range(BOMB_SIZE // (1024 * 1024)))


class Server(ThreadingHTTPServer):
    """Counts accepted connections and requests, and the most requests served at once."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.connections = 0
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.in_flight = 0
        self.max_in_flight = 0

    def get_request(self) -> tuple[socket.socket, Any]:
        conn = super().get_request()
        with self.lock:
            self.connections += 1
        return conn

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"


class Handler(BaseHTTPRequestHandler):
    """Routes: /ok /etag /redirect/N /to?url= /status/N /gzip /bomb /big /big-unsized
    /drip-body /drip-headers /hang /slow."""

    server: Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, body: bytes = b"", **headers: str) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        if "Content_Length" not in headers and status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _drip(self, raw: bytes) -> None:
        self.wfile.write(raw)
        self.wfile.flush()
        for _ in range(60):
            if self.server.stop.wait(0.5):
                return
            self.wfile.write(b"x")
            self.wfile.flush()

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        sent = {k.lower(): v for k, v in self.headers.items()}
        with self.server.lock:
            self.server.requests.append((parts.path, sent))
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # client gave up
            self._route(parts.path, query)

    def _route(self, path: str, query: dict[str, str]) -> None:
        if path == "/ok":
            self._send(200, FEED, Content_Type="application/rss+xml", ETag='"v1"',
                       Last_Modified="Wed, 01 May 2024 10:00:00 GMT",
                       Cache_Control="public, max-age=300")
        elif path == "/etag":
            if self.headers.get("If-None-Match") == '"v1"':
                self._send(304, ETag='"v1"', Cache_Control="max-age=60")
            else:
                self._send(200, FEED, ETag='"v1"')
        elif path.startswith("/redirect/"):
            left = int(path.rsplit("/", 1)[1])
            if left > 0:
                self._send(302, Location=f"/redirect/{left - 1}")
            else:
                self._send(200, b"arrived")
        elif path == "/to":
            self._send(int(query.get("status", "302")), Location=query["url"])
        elif path.startswith("/status/"):
            extra = {"Retry_After": query["retry_after"]} if "retry_after" in query else {}
            self._send(int(path.rsplit("/", 1)[1]), b"status", **extra)
        elif path == "/gzip":
            self._send(200, _gzip([FEED]), Content_Encoding="gzip")
        elif path == "/bomb":
            self._send(200, BOMB, Content_Encoding="gzip", Content_Type="application/xml")
        elif path == "/big":
            self._send(200, b"y" * (2 * 1024 * 1024))
        elif path == "/big-unsized":  # HTTP/1.0, no length: the body ends when we close
            self.send_response(200)
            self.end_headers()
            for _ in range(64):
                self.wfile.write(b"z" * 65536)
        elif path == "/drip-body":
            self._drip(b"HTTP/1.0 200 OK\r\nContent-Length: 100000\r\n\r\n")
        elif path == "/drip-headers":
            self._drip(b"HTTP/1.0 200 OK\r\nX-Drip: ")
        elif path == "/hang":
            self.server.stop.wait(10)
        elif path == "/slow":
            with self.server.lock:
                self.server.in_flight += 1
                self.server.max_in_flight = max(self.server.max_in_flight, self.server.in_flight)
            time.sleep(0.3)
            with self.server.lock:
                self.server.in_flight -= 1
            self._send(200, b"slow")
        else:
            self._send(404, b"no such route")


@pytest.fixture
def server() -> Iterator[Server]:
    srv = Server()
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield srv
    finally:
        srv.stop.set()
        srv.shutdown()
        srv.server_close()
        thread.join(5)


class Dialer(httpcore.NetworkBackend):
    """Records every dial; routes the simulated public address to the local test server."""

    def __init__(self) -> None:
        self.dials: list[str] = []
        self._inner = httpcore.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        self.dials.append(host)
        target = "127.0.0.1" if host == PUBLIC_IP else host
        return self._inner.connect_tcp(target, port, timeout, local_address, socket_options)


class StubResolver:
    """A DNS stand-in: fixed answers per name, or a sequence of answers for rebinding."""

    def __init__(self, table: dict[str, Sequence[Sequence[str]]]) -> None:
        self.table = {name: list(answers) for name, answers in table.items()}
        self.calls: list[str] = []

    def __call__(self, host: str, port: int) -> Sequence[str]:
        self.calls.append(host)
        answers = self.table.get(host)
        if not answers:
            raise socket.gaierror(socket.EAI_NONAME, f"unknown test name {host}")
        return answers.pop(0) if len(answers) > 1 else answers[0]


def dns() -> StubResolver:
    return StubResolver({
        "feeds.example.test": [[PUBLIC_IP]],
        "intranet.example.test": [["192.168.1.1"]],
        "internal.example.test": [["10.0.0.7"]],
        "loopy.example.test": [["127.0.0.1"]],
        "mixed.example.test": [[PUBLIC_IP, "10.0.0.1"]],
        "metadata.example.test": [["169.254.169.254"]],
        "v6.example.test": [["::1"]],
        "mapped.example.test": [["::ffff:127.0.0.1"]],
        "localhost": [["::1", "127.0.0.1"]],
    })


def get(url: str, policy: FetchPolicy = OPEN, **kwargs: Any) -> FetchResult:
    kwargs.setdefault("resolver", dns())
    return fetch(url, policy, **kwargs)


# --- success paths ----------------------------------------------------------------------------


def test_200_with_body_and_headers(server: Server) -> None:
    result = get(server.url("/ok"), FetchPolicy(allow_private_networks=True, user_agent="ua/9"))
    assert result.status == 200 and not result.not_modified
    assert result.body == FEED
    assert result.url == server.url("/ok")
    assert result.content_type == "application/rss+xml"
    assert result.etag == '"v1"'
    assert result.last_modified == "Wed, 01 May 2024 10:00:00 GMT"
    assert result.cache_ttl_s == 300.0
    assert result.retry_after_s is None
    assert result.redirects == []
    assert result.headers["content-length"] == str(len(FEED))
    assert all(k == k.lower() for k in result.headers)
    assert 0 < result.elapsed_s < 5
    [(_, sent)] = server.requests
    assert sent["user-agent"] == "ua/9"
    assert sent["accept-encoding"] == "gzip, deflate"
    assert "if-none-match" not in sent


def test_gzip_body_is_decoded(server: Server) -> None:
    result = get(server.url("/gzip"))
    assert result.body == FEED
    assert result.headers["content-encoding"] == "gzip"


def test_conditional_get_304(server: Server) -> None:
    first = get(server.url("/etag"))
    assert first.status == 200 and first.etag == '"v1"'
    again = get(server.url("/etag"), etag=first.etag,
                last_modified="Wed, 01 May 2024 10:00:00 GMT")
    assert again.not_modified and again.status == 304
    assert again.body == b""
    assert again.etag == '"v1"'
    assert again.last_modified == "Wed, 01 May 2024 10:00:00 GMT"  # kept from the request
    assert again.cache_ttl_s == 60.0
    sent = server.requests[1][1]
    assert sent["if-none-match"] == '"v1"'
    assert sent["if-modified-since"] == "Wed, 01 May 2024 10:00:00 GMT"
    stale = get(server.url("/etag"), etag='"v0"')
    assert stale.status == 200 and stale.body == FEED and not stale.not_modified


def test_redirects_followed_up_to_the_limit(server: Server) -> None:
    result = get(server.url("/redirect/5"))
    assert result.body == b"arrived"
    assert result.url == server.url("/redirect/0")
    assert result.redirects == [server.url(f"/redirect/{n}") for n in (5, 4, 3, 2, 1)]
    assert len(server.requests) == 6


def test_chain_of_six_redirects_refused(server: Server) -> None:
    with pytest.raises(TooManyRedirectsError) as err:
        get(server.url("/redirect/6"))
    assert err.value.reason_code == "too_many_redirects"
    assert len(server.requests) == 6  # the sixth Location is never requested
    with pytest.raises(TooManyRedirectsError):
        get(server.url("/redirect/1"), FetchPolicy(allow_private_networks=True, max_redirects=0))


def test_public_host_path_with_private_networks_refused(server: Server) -> None:
    """The production configuration still fetches a host that resolves to a public address."""
    dialer = Dialer()
    target = server.url("/ok", host="feeds.example.test")
    result = get(server.url(f"/to?url={quote(target)}", host="feeds.example.test"), STRICT,
                 network_backend=dialer)
    assert result.body == FEED
    assert result.redirects == [server.url(f"/to?url={quote(target)}", "feeds.example.test")]
    assert dialer.dials == [PUBLIC_IP, PUBLIC_IP]
    assert server.connections == 2


def test_per_host_concurrency(server: Server) -> None:
    policy = FetchPolicy(allow_private_networks=True, per_host_concurrency=2)
    with ThreadPoolExecutor(5) as pool:
        results = list(pool.map(lambda _: get(server.url("/slow"), policy), range(5)))
    assert [r.body for r in results] == [b"slow"] * 5
    assert server.max_in_flight == 2


# --- status codes -----------------------------------------------------------------------------


def test_429_retry_after_seconds(server: Server) -> None:
    with pytest.raises(RateLimitedError) as err:
        get(server.url("/status/429?retry_after=7"))
    assert err.value.retry_after_s == 7
    assert err.value.status == 429


def test_503_retry_after_date_and_missing(server: Server) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=120), usegmt=True)
    with pytest.raises(RateLimitedError) as err:
        get(server.url(f"/status/503?retry_after={quote(when)}"))
    assert err.value.retry_after_s is not None and 100 < err.value.retry_after_s <= 120
    with pytest.raises(RateLimitedError) as err:
        get(server.url("/status/503"))
    assert err.value.retry_after_s is None


@pytest.mark.parametrize("status", [500, 502, 504])
def test_5xx_upstream_error(server: Server, status: int) -> None:
    with pytest.raises(UpstreamError) as err:
        get(server.url(f"/status/{status}"))
    assert err.value.status == status


@pytest.mark.parametrize("status", [400, 403, 404, 410, 451])
def test_4xx_quarantined_with_status_reason(server: Server, status: int) -> None:
    with pytest.raises(HttpStatusError) as err:
        get(server.url(f"/status/{status}"))
    assert err.value.reason_code == f"http_{status}"
    assert err.value.status == status


def test_connection_refused_is_transient() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(FetchConnectError):
        get(f"http://127.0.0.1:{port}/")


# --- time and size limits ---------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/drip-body", "/drip-headers"])
def test_slow_drip_cut_at_total_timeout(server: Server, path: str) -> None:
    started = time.monotonic()
    with pytest.raises(FetchTimeoutError):
        get(server.url(path), FetchPolicy(allow_private_networks=True, timeout_s=2))
    elapsed = time.monotonic() - started
    assert 1.5 < elapsed < 4


def test_silent_server_cut_at_total_timeout(server: Server) -> None:
    started = time.monotonic()
    with pytest.raises(FetchTimeoutError):
        get(server.url("/hang"), FetchPolicy(allow_private_networks=True, timeout_s=1))
    assert time.monotonic() - started < 2.5


def test_gzip_bomb_stopped_early_in_bounded_memory(server: Server) -> None:
    assert len(BOMB) < 200_000  # 50 MiB of zeros, compressed
    policy = FetchPolicy(allow_private_networks=True, max_body_bytes=1024 * 1024)
    tracemalloc.start()
    started = time.monotonic()
    try:
        with pytest.raises(BodyTooLargeError) as err:
            get(server.url("/bomb"), policy)
        elapsed = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert err.value.reason_code == "too_large"
    assert peak < 20 * 1024 * 1024
    assert elapsed < 5


@pytest.mark.parametrize("path", ["/big", "/big-unsized"])
def test_plain_body_over_cap(server: Server, path: str) -> None:
    with pytest.raises(BodyTooLargeError):
        get(server.url(path), FetchPolicy(allow_private_networks=True, max_body_bytes=1024 * 1024))
    assert get(server.url(path)).body[:1] in (b"y", b"z")  # under the default cap it is read


# --- SSRF -------------------------------------------------------------------------------------

SSRF_VECTORS = [
    ("http://localhost:{port}/ok", BlockedAddressError),
    ("http://127.0.0.1:{port}/ok", BlockedAddressError),
    ("http://[::1]:{port}/ok", BlockedAddressError),
    ("http://[::ffff:127.0.0.1]:{port}/ok", BlockedAddressError),
    ("http://2130706433:{port}/ok", BlockedAddressError),
    ("http://0177.0.0.1:{port}/ok", BlockedAddressError),
    ("http://0x7f.0.0.1:{port}/ok", BlockedAddressError),
    ("http://127.1:{port}/ok", BlockedAddressError),
    ("http://10.0.0.1:{port}/ok", BlockedAddressError),
    ("http://169.254.169.254/latest/meta-data/", BlockedAddressError),
    ("http://100.64.0.1/", BlockedAddressError),
    ("http://intranet.example.test/", BlockedAddressError),  # resolves to 192.168.1.1
    ("http://loopy.example.test:{port}/ok", BlockedAddressError),  # resolves to 127.0.0.1
    ("http://mixed.example.test:{port}/ok", BlockedAddressError),  # public + 10.0.0.1
    ("http://metadata.example.test/", BlockedAddressError),  # resolves to 169.254.169.254
    ("http://v6.example.test:{port}/ok", BlockedAddressError),  # resolves to ::1
    ("http://mapped.example.test:{port}/ok", BlockedAddressError),  # ::ffff:127.0.0.1
    ("file:///etc/passwd", SchemeNotAllowedError),
    ("ftp://127.0.0.1:{port}/", SchemeNotAllowedError),
    ("gopher://127.0.0.1:{port}/_GET", SchemeNotAllowedError),
]


@pytest.mark.parametrize(("template", "error"), SSRF_VECTORS)
def test_ssrf_vector_refused_without_connecting(
    server: Server, template: str, error: type[Exception]
) -> None:
    dialer = Dialer()
    with pytest.raises(error) as err:
        get(template.format(port=server.port), STRICT, network_backend=dialer)
    if error is BlockedAddressError:
        assert err.value.reason_code == "blocked_address"  # type: ignore[attr-defined]
        assert "refused host" in str(err.value)
    assert dialer.dials == []
    assert server.connections == 0


@pytest.mark.parametrize(
    "template",
    ["http://127.0.0.1:{port}/ok", "http://2130706433:{port}/ok", "http://0x7f.0.0.1:{port}/ok",
     "http://127.1:{port}/ok", "http://loopy.example.test:{port}/ok",
     "http://localhost:{port}/ok"],
)
def test_same_vectors_reach_the_server_when_private_allowed(server: Server, template: str) -> None:
    """Control: these URLs really point at the server, so the refusals above are real."""
    assert get(template.format(port=server.port), OPEN).body == FEED
    assert server.connections == 1


@pytest.mark.parametrize(
    "target",
    ["http://127.0.0.1:{port}/ok", "http://internal.example.test:{port}/ok",
     "http://2130706433:{port}/ok", "http://[::ffff:127.0.0.1]:{port}/ok",
     "http://169.254.169.254/latest/meta-data/", "http://localhost:{port}/ok"],
)
def test_redirect_to_disallowed_address_refused(server: Server, target: str) -> None:
    dialer = Dialer()
    start = server.url(f"/to?url={quote(target.format(port=server.port))}", "feeds.example.test")
    with pytest.raises(BlockedAddressError):
        get(start, STRICT, network_backend=dialer)
    assert dialer.dials == [PUBLIC_IP]  # the first hop only
    assert server.connections == 1


def test_redirect_to_file_scheme_refused(server: Server) -> None:
    with pytest.raises(SchemeNotAllowedError):
        get(server.url(f"/to?status=301&url={quote('file:///etc/passwd')}"))
    assert server.connections == 1


def test_dns_rebinding_between_connections_refused(server: Server) -> None:
    """Each connection resolves once and dials what it checked: a name turning private is
    refused at its next connect, and never dialled."""
    resolver = StubResolver({"rebind.example.test": [[PUBLIC_IP], ["127.0.0.1"]]})
    dialer = Dialer()
    with pytest.raises(BlockedAddressError) as err:
        get(server.url("/redirect/2", "rebind.example.test"), STRICT, resolver=resolver,
            network_backend=dialer)
    assert "127.0.0.1" in str(err.value)
    assert resolver.calls == ["rebind.example.test", "rebind.example.test"]
    assert dialer.dials == [PUBLIC_IP]
    assert server.connections == 1
