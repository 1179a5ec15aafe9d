"""Fetcher helpers without a network: Retry-After, cache TTL, address and URL rules, decoding."""

from __future__ import annotations

import gzip
import ipaddress
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from worker.errors import QuarantineError, TooLargeError, TransientError
from worker.http import (
    BlockedAddressError,
    BodyTooLargeError,
    ContentEncodingError,
    FetchConnectError,
    FetchPolicy,
    FetchTimeoutError,
    HttpStatusError,
    InvalidUrlError,
    RateLimitedError,
    SchemeNotAllowedError,
    TooManyRedirectsError,
    UpstreamError,
)
from worker.http.address_guard import blocked_reason, check_url, parse_ip_literal
from worker.http.client import cache_ttl, decode_body, parse_retry_after
from worker.settings import Settings

NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


def http_date(when: datetime) -> str:
    return format_datetime(when, usegmt=True)


# --- Retry-After ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("7", 7.0),
        (" 120 ", 120.0),
        ("2.5", 2.5),
        ("0", 1.0),  # floor: never hammer
        ("999999", 86400.0),  # ceiling: one day
        (http_date(NOW + timedelta(seconds=90)), 90.0),
        (http_date(NOW - timedelta(hours=1)), 1.0),  # a date in the past: retry soon
        (http_date(NOW + timedelta(days=30)), 86400.0),
        ("Wednesday, 01-May-24 12:00:30 GMT", 30.0),  # RFC 850 form
        ("Wed May  1 12:00:45 2024", 45.0),  # asctime form (no zone: UTC)
        ("", None),
        ("soon", None),
        ("-5", None),
        ("1e3", None),
        ("٣", None),  # a non-ASCII digit is no delay-seconds
    ],
)
def test_parse_retry_after(value: str, expected: float | None) -> None:
    assert parse_retry_after(value, NOW) == expected


def test_parse_retry_after_naive_now_is_utc() -> None:
    naive = NOW.replace(tzinfo=None)
    assert parse_retry_after(http_date(NOW + timedelta(seconds=60)), naive) == 60.0


# --- cache TTL --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, None),
        ({"cache-control": "public, max-age=300"}, 300.0),
        ({"Cache-Control": "max-age=300"}, 300.0),  # any key case
        ({"cache-control": 'max-age="60"'}, 60.0),
        ({"cache-control": "max-age=300, s-maxage=600"}, 600.0),
        ({"cache-control": "max-age=300", "age": "100"}, 200.0),
        ({"cache-control": "max-age=300", "age": "900"}, 0.0),
        ({"cache-control": "no-store, max-age=300"}, 0.0),
        ({"cache-control": "no-cache"}, 0.0),
        ({"cache-control": "public"}, None),
        ({"cache-control": "max-age=abc"}, None),
        ({"cache-control": "max-age=abc", "expires": http_date(NOW + timedelta(seconds=50))},
         50.0),
        ({"cache-control": "max-age=10", "expires": http_date(NOW + timedelta(hours=1))}, 10.0),
        ({"expires": http_date(NOW + timedelta(minutes=10))}, 600.0),
        ({"expires": http_date(NOW + timedelta(minutes=10)),
          "date": http_date(NOW + timedelta(minutes=4))}, 360.0),
        ({"expires": http_date(NOW - timedelta(minutes=10))}, 0.0),
        ({"expires": "0"}, 0.0),  # unreadable Expires means already stale
        ({"expires": "-1"}, 0.0),
        ({"pragma": "no-cache"}, 0.0),
        ({"pragma": "no-cache", "cache-control": "max-age=60"}, 60.0),
    ],
)
def test_cache_ttl(headers: dict[str, str], expected: float | None) -> None:
    assert cache_ttl(headers, NOW) == expected


# --- addresses --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),  # decimal
        ("0177.0.0.1", "127.0.0.1"),  # octal
        ("0x7f.0.0.1", "127.0.0.1"),  # hex
        ("0x7f.1", "127.0.0.1"),  # hex, short
        ("0X7F000001", "127.0.0.1"),
        ("127.1", "127.0.0.1"),  # short
        ("127.0.1", "127.0.0.1"),
        ("10.1", "10.0.0.1"),
        ("017700000001", "127.0.0.1"),  # octal, whole
        ("127.0.0.1.", "127.0.0.1"),  # trailing dot
        ("0", "0.0.0.0"),
        ("169.254.169.254", "169.254.169.254"),
        ("::1", "::1"),
        ("[::1]", "::1"),
        ("::ffff:127.0.0.1", "::ffff:7f00:1"),
        ("example.com", None),
        ("1e100.net", None),
        ("256.0.0.1", None),
        ("1.2.3.4.5", None),
        ("4294967296", None),
        ("08.0.0.1", None),  # 8 is no octal digit
        ("0x", None),
        ("", None),
        ("::zz", None),
    ],
)
def test_parse_ip_literal(host: str, expected: str | None) -> None:
    parsed = parse_ip_literal(host)
    assert (None if parsed is None else str(parsed)) == expected


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("127.255.255.254", "loopback"),
        ("10.0.0.1", "private"),
        ("172.16.0.1", "private"),
        ("172.31.255.255", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "link-local"),
        ("100.64.0.1", "shared (CGNAT)"),
        ("100.127.255.254", "shared (CGNAT)"),
        ("0.0.0.0", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("239.255.255.250", "multicast"),
        ("240.0.0.1", "private"),  # reserved 240/4 (Python lists it as private)
        ("255.255.255.255", "private"),
        ("192.0.2.1", "private"),  # documentation
        ("198.18.0.1", "private"),  # benchmarking
        ("::1", "loopback"),
        ("::", "unspecified"),
        ("fe80::1", "link-local"),
        ("fc00::1", "unique-local"),
        ("fd12:3456::1", "unique-local"),
        ("fec0::1", "site-local"),
        ("ff02::1", "multicast"),
        ("::ffff:127.0.0.1", "IPv4-mapped loopback"),
        ("::ffff:10.0.0.1", "IPv4-mapped private"),
        ("::ffff:169.254.169.254", "IPv4-mapped link-local"),
        ("::127.0.0.1", "IPv4-compatible loopback"),
        ("::8.8.8.8", "IPv4-compatible (deprecated)"),
        ("64:ff9b::7f00:1", "NAT64 loopback"),
        ("64:ff9b::a00:1", "NAT64 private"),
        ("2002:7f00:1::", "6to4 loopback"),
        ("2002:c0a8:101::1", "6to4 private"),
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "teredo"),
        ("2001:db8::1", "private"),  # documentation
        ("8.8.8.8", None),
        ("93.184.216.34", None),
        ("1.1.1.1", None),
        ("2606:4700:4700::1111", None),
        ("::ffff:8.8.8.8", None),  # mapped public: the packets go to 8.8.8.8
        ("64:ff9b::808:808", None),
        ("2002:808:808::1", None),
    ],
)
def test_blocked_reason(address: str, reason: str | None) -> None:
    assert blocked_reason(ipaddress.ip_address(address)) == reason


# --- URLs -------------------------------------------------------------------------------------


BLOCKED_URLS = [
    "http://localhost/",
    "http://LOCALHOST./x",
    "http://api.localhost/",
    "http://127.0.0.1/",
    "http://127.0.0.1:8080/feed",
    "http://[::1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]/",
    "http://2130706433/",
    "http://0177.0.0.1/",
    "http://0x7f.0.0.1/",
    "http://0x7f.1/",
    "http://127.1/",
    "http://10.0.0.1/",
    "http://172.16.5.4/",
    "http://192.168.1.1/",
    "http://169.254.169.254/latest/meta-data/",
    "http://100.64.0.1/",
    "http://0.0.0.0/",
    "http://[fe80::1]/",
    "http://[fd00::1]/",
    "http://[2002:7f00:1::]/",
    "https://user:pw@127.0.0.1/",
    "HTTP://127.0.0.1/",
]


@pytest.mark.parametrize("url", BLOCKED_URLS)
def test_check_url_blocks_non_public_literals(url: str) -> None:
    with pytest.raises(BlockedAddressError) as err:
        check_url(url, allow_private_networks=False)
    assert err.value.reason_code == "blocked_address"
    assert "refused host" in str(err.value)
    # The same URL is fine where private networks are allowed (tests, intranets).
    check_url(url, allow_private_networks=True)


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "ftp://example.com/feed.xml", "gopher://example.com/",
     "data:text/plain,hello", "javascript:alert(1)", "ws://example.com/", "dict://x:11211/"],
)
def test_check_url_refuses_schemes_even_when_private_allowed(url: str) -> None:
    for allow in (False, True):
        with pytest.raises(SchemeNotAllowedError) as err:
            check_url(url, allow_private_networks=allow)
        assert err.value.reason_code == "scheme_not_allowed"


@pytest.mark.parametrize("url", ["", "example.com/feed", "http:///path", "http://[::1/",
                                 "http://example.com:99999/"])
def test_check_url_invalid(url: str) -> None:
    with pytest.raises(InvalidUrlError) as err:
        check_url(url, allow_private_networks=False)
    assert err.value.reason_code == "invalid_url"


@pytest.mark.parametrize(
    ("url", "host"),
    [("https://example.com/feed", "example.com"), ("http://EXAMPLE.com:8080/x", "example.com"),
     ("http://8.8.8.8/", "8.8.8.8"), ("http://[2606:4700:4700::1111]/", "2606:4700:4700::1111"),
     ("http://feeds.example.test/rss", "feeds.example.test")],
)
def test_check_url_passes_public_hosts(url: str, host: str) -> None:
    assert check_url(url, allow_private_networks=False) == host


# --- decoding ---------------------------------------------------------------------------------


def pieces(data: bytes, size: int = 7) -> list[bytes]:
    return [data[i:i + size] for i in range(0, len(data), size)]


TEXT = b"<rss>" + b"news " * 5000 + b"</rss>"


@pytest.mark.parametrize(
    ("encoded", "encoding"),
    [
        (TEXT, None),
        (TEXT, "identity"),
        (gzip.compress(TEXT), "gzip"),
        (gzip.compress(TEXT), "x-gzip"),
        (gzip.compress(TEXT), "GZIP"),
        (gzip.compress(TEXT[:100]) + gzip.compress(TEXT[100:]), "gzip"),  # two members
        (zlib.compress(TEXT), "deflate"),  # zlib-wrapped, as the RFC says
        (zlib.compress(TEXT)[2:-4], "deflate"),  # raw deflate, as some servers send
        (gzip.compress(zlib.compress(TEXT)), "deflate, gzip"),  # stacked codings
    ],
)
def test_decode_body(encoded: bytes, encoding: str | None) -> None:
    assert decode_body(pieces(encoded), encoding, len(TEXT)) == TEXT
    assert decode_body([encoded], encoding, len(TEXT)) == TEXT


def test_decode_body_cap_is_on_decompressed_size_and_stops_early() -> None:
    bomb = gzip.compress(bytes(20 * 1024 * 1024))
    consumed = 0

    def stream() -> Iterator[bytes]:
        nonlocal consumed
        for chunk in pieces(bomb, 1024):
            consumed += len(chunk)
            yield chunk

    with pytest.raises(BodyTooLargeError) as err:
        decode_body(stream(), "gzip", 100_000)
    assert err.value.reason_code == "too_large"
    assert consumed < len(bomb) // 10  # stopped long before the end of the input
    with pytest.raises(BodyTooLargeError):
        decode_body([b"x" * 11], None, 10)
    assert decode_body([b"x" * 10], None, 10) == b"x" * 10


@pytest.mark.parametrize(("data", "encoding"), [(b"not gzip at all", "gzip"),
                                                (b"\x78\x9cgarbage!!", "deflate"),
                                                (b"abc", "br"), (b"abc", "zstd")])
def test_decode_body_bad_encoding(data: bytes, encoding: str) -> None:
    with pytest.raises(ContentEncodingError) as err:
        decode_body([data], encoding, 1000)
    assert err.value.reason_code == "bad_content_encoding"


# --- policy and errors ------------------------------------------------------------------------


def test_policy_defaults_and_from_settings() -> None:
    default = FetchPolicy()
    assert (default.timeout_s, default.max_body_bytes, default.max_redirects) == (
        20.0, 15 * 1024 * 1024, 5)
    assert (default.allow_private_networks, default.per_host_concurrency) == (False, 2)
    settings = Settings(fetch_timeout_s=3.5, fetch_max_bytes=1234, fetch_max_redirects=2,
                        allow_private_networks=True, fetch_per_host_concurrency=4,
                        user_agent="ua/1")
    assert FetchPolicy.from_settings(settings) == FetchPolicy(
        timeout_s=3.5, max_body_bytes=1234, max_redirects=2, allow_private_networks=True,
        user_agent="ua/1", per_host_concurrency=4,
    )


@pytest.mark.parametrize("bad", [{"timeout_s": 0}, {"max_body_bytes": 0},
                                 {"max_redirects": -1}, {"per_host_concurrency": 0}])
def test_policy_refuses_disabling_limits(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        FetchPolicy(**bad)  # type: ignore[arg-type]


def test_error_classes_decide_retry_or_quarantine() -> None:
    quarantined = [BlockedAddressError("x"), SchemeNotAllowedError("x"), InvalidUrlError("x"),
                   TooManyRedirectsError("x"), HttpStatusError("x", status=404),
                   BodyTooLargeError("x"), ContentEncodingError("x")]
    retried = [RateLimitedError("x", status=429, retry_after_s=None),
               UpstreamError("x", status=500), FetchTimeoutError("x"), FetchConnectError("x")]
    assert all(isinstance(e, QuarantineError) for e in quarantined)
    assert all(isinstance(e, TransientError) and not isinstance(e, QuarantineError)
               for e in retried)
    assert isinstance(BodyTooLargeError("x"), TooLargeError)
    assert [e.reason_code for e in quarantined] == [
        "blocked_address", "scheme_not_allowed", "invalid_url", "too_many_redirects",
        "http_404", "too_large", "bad_content_encoding"]
    assert HttpStatusError("gone", status=410).reason_code == "http_410"
