"""Which hosts a fetch may reach: public unicast addresses only, unless private ones are allowed.

URL host literals in odd encodings (``2130706433``, ``0177.0.0.1``, ``0x7f.1``, ``127.1``) are
decoded the way ``inet_aton`` does before anything else, so no spelling slips past the check.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from urllib.parse import urlsplit

from worker.http.errors import BlockedAddressError, InvalidUrlError, SchemeNotAllowedError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Sequence[str]]
"""Turns (host, port) into IP address strings; injectable so tests need no DNS."""

ALLOWED_SCHEMES = frozenset({"http", "https"})

_CGNAT = ipaddress.IPv4Network("100.64.0.0/10")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_UNIQUE_LOCAL = ipaddress.IPv6Network("fc00::/7")
_LOCALHOST_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")


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


def is_localhost_name(host: str) -> bool:
    """Names that mean this machine whatever DNS says (RFC 6761 reserves ``.localhost``)."""
    name = host.strip().lower().removesuffix(".")
    return name in _LOCALHOST_NAMES or name.endswith(".localhost")


def check_url(url: str, *, allow_private_networks: bool) -> str:
    """Refuse a bad scheme or literal host before any connection; return the host."""
    # Names are checked on their resolved addresses at connect time (transport.GuardedBackend);
    # this early check spares a connection attempt and gives a precise error.
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
        if is_localhost_name(host):
            raise BlockedAddressError(f"refused host {host!r}: a loopback name")
        literal = parse_ip_literal(host)
        if literal is not None and (reason := blocked_reason(literal)) is not None:
            raise BlockedAddressError(f"refused host {host!r}: address {literal} is {reason}")
    return host



def system_resolver(host: str, port: int) -> list[str]:
    """Resolve with the C library, as the connection would, keeping the order it returns."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))

