"""robots.txt for the pages whose full text is fetched (RFC 9309), read by Protego, per origin.

Only page fetches are checked: a feed is fetched because someone subscribed to it, as feed
readers do. Each origin's robots.txt is fetched through the same ``fetch`` as the page (same
address guard, limits and User-Agent) and cached per process (LRU, ``ttl_s``). A robots.txt
that cannot be had decides as RFC 9309 §2.3.1 and Google do:

* 2xx: its rules, for our User-Agent;
* 4xx (429 aside) or a redirect chain longer than allowed: there is none, everything is
  allowed;
* 5xx, 429, timeout, network failure, or a file we cannot read (over 512 KiB, corrupt
  encoding): everything is disallowed, and asked again after ``UNREACHABLE_TTL_S``. The
  entry is then indexed with its feed text at once (never held back or dropped);
* a URL the address guard refuses: the page is refused for that same reason.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from protego import Protego

from worker.errors import TransientError
from worker.http.client import FetchPolicy, FetchResult
from worker.http.errors import (
    BlockedAddressError,
    BodyTooLargeError,
    ContentEncodingError,
    HttpStatusError,
    InvalidUrlError,
    RobotsDisallowedError,
    SchemeNotAllowedError,
    TooManyRedirectsError,
)

MAX_ROBOTS_BYTES = 512 * 1024  # RFC 9309 asks crawlers to read at least 500 KiB
UNREACHABLE_TTL_S = 600.0  # an outage is asked about again soon, a file lasts ``ttl_s``
MAX_ORIGINS = 1024
_DEFAULT_PORTS = {"http": 80, "https": 443}

Fetch = Callable[..., FetchResult]
RulesKind = Literal["rules", "allow_all", "unreachable"]


@dataclass(frozen=True)
class RobotsRules:
    """What an origin's robots.txt says, or the verdict that stands in for a missing one."""

    kind: RulesKind
    detail: str
    parser: Protego | None = None

    def allows(self, url: str, user_agent: str) -> bool:
        """Whether ``user_agent`` may fetch ``url`` (robots.txt itself is always allowed)."""
        if self.parser is not None:
            return bool(self.parser.can_fetch(url, user_agent))
        return self.kind == "allow_all"


def origin_of(url: str) -> str | None:
    """``scheme://host:port`` of an http(s) URL (robots.txt is per origin), else None."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    host = parts.hostname.lower()
    host = f"[{host}]" if ":" in host else host
    return f"{scheme}://{host}:{port or _DEFAULT_PORTS[scheme]}"


def robots_url(origin: str) -> str:
    """The robots.txt URL of an origin from ``origin_of``."""
    return f"{origin}/robots.txt"


def rules_from_body(body: bytes) -> RobotsRules:
    """The rules of a fetched robots.txt (UTF-8 by RFC 9309; undecodable bytes are ignored)."""
    text = body.decode("utf-8", errors="replace").removeprefix("\ufeff")
    return RobotsRules("rules", "robots.txt read", Protego.parse(text))


def rules_after_failure(exc: Exception) -> RobotsRules:
    """The verdict when robots.txt could not be had; re-raise what refuses the page itself."""
    if isinstance(exc, BlockedAddressError | InvalidUrlError | SchemeNotAllowedError):
        raise exc
    if isinstance(exc, HttpStatusError):
        return RobotsRules("allow_all", f"no robots.txt ({exc.status})")
    if isinstance(exc, TooManyRedirectsError):
        return RobotsRules("allow_all", "robots.txt redirects too often: taken as absent")
    if isinstance(exc, TransientError | BodyTooLargeError | ContentEncodingError):
        return RobotsRules("unreachable", f"robots.txt unreachable ({type(exc).__name__}: {exc})")
    raise exc


def ttl_of(rules: RobotsRules, ttl_s: float) -> float:
    """How long a verdict is kept: an unreachable robots.txt is asked about again soon."""
    return min(ttl_s, UNREACHABLE_TTL_S) if rules.kind == "unreachable" else ttl_s


def refusal(rules: RobotsRules, url: str, user_agent: str) -> RobotsDisallowedError | None:
    """The error that refuses ``url``, or None when ``rules`` let ``user_agent`` fetch it."""
    if rules.allows(url, user_agent):
        return None
    if rules.kind == "unreachable":
        return RobotsDisallowedError(f"{rules.detail}: not fetching {url}",
                                     reason_code="robots_unreachable")
    return RobotsDisallowedError(f"robots.txt disallows {url}")


class RobotsCache:
    """Verdicts per origin for their TTL; the ``max_origins`` most recently used are kept."""

    def __init__(self, max_origins: int = MAX_ORIGINS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._max = max_origins
        self._clock = clock
        self._lock = threading.Lock()
        self._items: OrderedDict[str, tuple[float, RobotsRules]] = OrderedDict()

    def get(self, origin: str) -> RobotsRules | None:
        """The cached verdict, or None when absent or expired."""
        with self._lock:
            item = self._items.get(origin)
            if item is None:
                return None
            if item[0] <= self._clock():
                del self._items[origin]
                return None
            self._items.move_to_end(origin)
            return item[1]

    def put(self, origin: str, rules: RobotsRules, ttl_s: float) -> None:
        """Keep a verdict for ``ttl_s`` seconds, evicting the least recently used."""
        with self._lock:
            self._items[origin] = (self._clock() + ttl_s, rules)
            self._items.move_to_end(origin)
            while len(self._items) > self._max:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


_PROCESS_CACHE = RobotsCache()


class RobotsGate:
    """``fetch`` for pages: a URL (or redirect hop) its robots.txt disallows is not requested."""

    def __init__(self, fetch: Fetch, *, ttl_s: float, cache: RobotsCache | None = None) -> None:
        self._fetch = fetch
        self._ttl_s = ttl_s
        self._cache = _PROCESS_CACHE if cache is None else cache

    def rules(self, origin: str, policy: FetchPolicy) -> RobotsRules:
        """The origin's verdict, from the cache or fetched under ``policy`` (body capped)."""
        cached = self._cache.get(origin)
        if cached is not None:
            return cached
        capped = dataclasses.replace(
            policy, max_body_bytes=min(policy.max_body_bytes, MAX_ROBOTS_BYTES))
        try:
            rules = rules_from_body(self._fetch(robots_url(origin), capped).body)
        except Exception as exc:  # only fetch errors become verdicts; the rest re-raise
            rules = rules_after_failure(exc)
        self._cache.put(origin, rules, ttl_of(rules, self._ttl_s))
        return rules

    def check(self, url: str, policy: FetchPolicy) -> None:
        """Raise RobotsDisallowedError when ``url`` may not be fetched."""
        origin = origin_of(url)
        if origin is None:
            return  # not http(s): fetch refuses it with its own error
        error = refusal(self.rules(origin, policy), url, policy.user_agent)
        if error is not None:
            raise error

    def fetch(self, url: str, policy: FetchPolicy, **kwargs: Any) -> FetchResult:
        """Fetch a page under ``policy`` unless robots.txt refuses it or a hop of its redirects."""
        self.check(url, policy)  # before the page's deadline starts
        return self._fetch(url, policy, before_request=lambda hop: self.check(hop, policy),
                           **kwargs)


def page_fetch(fetch: Fetch, *, respect_robots_txt: bool, ttl_s: float) -> Fetch:
    """The fetch for article pages: through the robots.txt gate unless that is turned off."""
    return RobotsGate(fetch, ttl_s=ttl_s).fetch if respect_robots_txt else fetch
