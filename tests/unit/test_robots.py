"""robots.txt for full-text page fetches: the policy (pure), the cache, the gate with a fake
fetch, and what the full-text stage records when a page is refused."""

from __future__ import annotations

from typing import Any

import pytest
import structlog

from tests.unit.fakes import FakeEnricher, FakeFeeds, FakeLedger, FakeOutbox, FakeStore
from worker.http import (
    BlockedAddressError,
    BodyTooLargeError,
    FetchConnectError,
    FetchPolicy,
    FetchResult,
    FetchTimeoutError,
    HttpStatusError,
    InvalidUrlError,
    RateLimitedError,
    RobotsDisallowedError,
    TooManyRedirectsError,
    UpstreamError,
)
from worker.http.robots import (
    MAX_ROBOTS_BYTES,
    UNREACHABLE_TTL_S,
    RobotsCache,
    RobotsGate,
    RobotsRules,
    origin_of,
    page_fetch,
    refusal,
    robots_url,
    rules_after_failure,
    rules_from_body,
    ttl_of,
)
from worker.pipeline.feed_stages import FeedStages
from worker.pipeline.messages import ArticleEnvelope
from worker.pipeline.stages import Stages
from worker.record import Article, Origin
from worker.settings import Settings

AGENT = "newsworker/0.1 (news ingestion worker)"
ROBOTS = b"""# example.org
User-agent: *
Disallow: /private/
Allow: /private/open.html

User-agent: otherbot
Disallow: /
"""


@pytest.mark.parametrize(("url", "origin"), [
    ("https://Example.ORG/a/1?x=1", "https://example.org:443"),
    ("http://example.org:80/a", "http://example.org:80"),
    ("http://example.org:8080/a", "http://example.org:8080"),
    ("https://[2001:db8::1]/a", "https://[2001:db8::1]:443"),
    ("ftp://example.org/a", None),
    ("not a url", None),
    ("http://example.org:99999/a", None),
])
def test_robots_txt_is_per_origin(url: str, origin: str | None) -> None:
    assert origin_of(url) == origin


def test_rules_are_read_for_our_user_agent() -> None:
    rules = rules_from_body(ROBOTS)
    assert rules.kind == "rules"
    assert rules.allows("https://example.org/a/2", AGENT)
    assert not rules.allows("https://example.org/private/1", AGENT)
    assert rules.allows("https://example.org/private/open.html", AGENT)
    assert not rules.allows("https://example.org/a/2", "otherbot/2.0")
    ours = rules_from_body(b"User-agent: newsworker\nDisallow: /\n\nUser-agent: *\nAllow: /\n")
    assert not ours.allows("https://example.org/a/2", AGENT)
    assert ours.allows("https://example.org/a/2", "somebot")
    assert rules_from_body(b"\xef\xbb\xbfUser-agent: *\nDisallow: /x\n\xff\xfe").allows(
        "https://example.org/y", AGENT)


@pytest.mark.parametrize(("exc", "kind"), [
    (HttpStatusError("404", status=404), "allow_all"),
    (HttpStatusError("403", status=403), "allow_all"),  # RFC 9309: any 4xx is "unavailable"
    (HttpStatusError("410", status=410), "allow_all"),
    (TooManyRedirectsError("6 redirects"), "allow_all"),
    (UpstreamError("500", status=500), "unreachable"),
    (RateLimitedError("429", status=429, retry_after_s=None), "unreachable"),
    (RateLimitedError("503", status=503, retry_after_s=30), "unreachable"),
    (FetchTimeoutError("slow"), "unreachable"),
    (FetchConnectError("refused"), "unreachable"),
    (BodyTooLargeError("huge"), "unreachable"),
])
def test_a_robots_txt_that_cannot_be_had(exc: Exception, kind: str) -> None:
    rules = rules_after_failure(exc)
    assert rules.kind == kind
    assert rules.allows("https://example.org/a", AGENT) is (kind == "allow_all")
    assert ttl_of(rules, 3600) == (UNREACHABLE_TTL_S if kind == "unreachable" else 3600)


@pytest.mark.parametrize("exc", [BlockedAddressError("10.0.0.1"), InvalidUrlError("bad"),
                                 ValueError("a bug")])
def test_what_refuses_the_page_itself_is_raised(exc: Exception) -> None:
    with pytest.raises(type(exc)):
        rules_after_failure(exc)


def test_refusals_name_their_reason() -> None:
    url = "https://example.org/private/1"
    disallowed = refusal(rules_from_body(ROBOTS), url, AGENT)
    assert disallowed is not None and disallowed.reason_code == "robots_disallowed"
    unreachable = refusal(rules_after_failure(FetchTimeoutError("slow")), url, AGENT)
    assert unreachable is not None and unreachable.reason_code == "robots_unreachable"
    assert refusal(RobotsRules("allow_all", "404"), url, AGENT) is None


def test_cache_expires_and_keeps_the_most_recently_used() -> None:
    now = [0.0]
    cache = RobotsCache(max_origins=2, clock=lambda: now[0])
    a, b, c = (RobotsRules("allow_all", name) for name in "abc")
    cache.put("a", a, 10)
    cache.put("b", b, 100)
    assert cache.get("a") is a  # a is now the most recently used
    cache.put("c", c, 100)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (a, None, c)
    now[0] = 10.0
    assert cache.get("a") is None and cache.get("c") is c and len(cache) == 1


def result(url: str, body: bytes = b"<html></html>") -> FetchResult:
    return FetchResult(url=url, status=200, headers={}, body=body, not_modified=False,
                       etag=None, last_modified=None, content_type="text/html",
                       retry_after_s=None, cache_ttl_s=None, elapsed_s=0.01)


class FakeWeb:
    """Answers robots.txt per origin; records every request and the policy it came with."""

    def __init__(self, robots: dict[str, bytes | Exception],
                 redirects: dict[str, str] | None = None) -> None:
        self.robots = robots
        self.redirects = redirects or {}
        self.requests: list[tuple[str, FetchPolicy]] = []

    def fetch(self, url: str, policy: FetchPolicy, *,
              before_request: Any = None, **_: Any) -> FetchResult:
        hops = [url]
        while hops[-1] in self.redirects:
            hops.append(self.redirects[hops[-1]])
        for hop in hops:
            if before_request is not None:
                before_request(hop)
            self.requests.append((hop, policy))
        if url.endswith("/robots.txt"):
            answer = self.robots.get(url, HttpStatusError("404", status=404))
            if isinstance(answer, Exception):
                raise answer
            return result(url, answer)
        return result(hops[-1])

    def urls(self) -> list[str]:
        return [url for url, _ in self.requests]


POLICY = FetchPolicy(user_agent=AGENT)


def test_gate_fetches_robots_once_per_origin_and_refuses_disallowed_pages() -> None:
    web = FakeWeb({"https://example.org:443/robots.txt": ROBOTS})
    gate = RobotsGate(web.fetch, ttl_s=3600, cache=RobotsCache())
    assert gate.fetch("https://example.org/a/2", POLICY).url == "https://example.org/a/2"
    with pytest.raises(RobotsDisallowedError) as refused:
        gate.fetch("https://example.org/private/1", POLICY)
    assert refused.value.reason_code == "robots_disallowed"
    gate.fetch("https://other.example.net/x", POLICY)  # no robots.txt there: 404, all allowed
    assert web.urls() == ["https://example.org:443/robots.txt", "https://example.org/a/2",
                          "https://other.example.net:443/robots.txt",
                          "https://other.example.net/x"]
    # robots.txt goes through the same fetch and policy, its body capped.
    robots_policy = web.requests[0][1]
    assert robots_policy.max_body_bytes == MAX_ROBOTS_BYTES
    assert robots_policy.user_agent == AGENT
    assert robots_policy.allow_private_networks == POLICY.allow_private_networks


def test_gate_checks_every_redirect_hop() -> None:
    web = FakeWeb({"https://cdn.example.net:443/robots.txt": b"User-agent: *\nDisallow: /\n"},
                  redirects={"https://example.org/a/2": "https://cdn.example.net/a/2"})
    gate = RobotsGate(web.fetch, ttl_s=3600, cache=RobotsCache())
    with pytest.raises(RobotsDisallowedError):
        gate.fetch("https://example.org/a/2", POLICY)
    assert "https://cdn.example.net/a/2" not in web.urls()


def test_unreachable_robots_txt_refuses_for_a_while_then_asks_again() -> None:
    now = [0.0]
    web = FakeWeb({"https://example.org:443/robots.txt": UpstreamError("500", status=500)})
    gate = RobotsGate(web.fetch, ttl_s=3600, cache=RobotsCache(clock=lambda: now[0]))
    for _ in range(2):
        with pytest.raises(RobotsDisallowedError) as refused:
            gate.fetch("https://example.org/a/2", POLICY)
        assert refused.value.reason_code == "robots_unreachable"
    assert web.urls() == ["https://example.org:443/robots.txt"]
    web.robots["https://example.org:443/robots.txt"] = b"User-agent: *\nAllow: /\n"
    now[0] = UNREACHABLE_TTL_S
    gate.fetch("https://example.org/a/2", POLICY)
    assert web.urls()[-2:] == ["https://example.org:443/robots.txt", "https://example.org/a/2"]


def test_a_blocked_robots_address_refuses_the_page_as_blocked() -> None:
    web = FakeWeb({"https://example.org:443/robots.txt": BlockedAddressError("10.0.0.1")})
    with pytest.raises(BlockedAddressError):
        RobotsGate(web.fetch, ttl_s=3600, cache=RobotsCache()).fetch("https://example.org/a",
                                                                       POLICY)


def test_turned_off_the_page_fetch_is_the_plain_fetch() -> None:
    web = FakeWeb({})
    assert page_fetch(web.fetch, respect_robots_txt=False, ttl_s=60) == web.fetch
    assert page_fetch(web.fetch, respect_robots_txt=True, ttl_s=60) != web.fetch
    assert robots_url("https://example.org:443") == "https://example.org:443/robots.txt"
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.respect_robots_txt and settings.robots_cache_ttl_s == 3600


def test_a_refused_page_is_indexed_with_its_feed_text_and_marked() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    outbox = FakeOutbox()
    stages = Stages(settings, FakeStore(), FakeLedger(), outbox, FakeEnricher())

    def refuse(url: str, policy: object, **_: object) -> FetchResult:
        raise RobotsDisallowedError(f"robots.txt disallows {url}")

    def feeds_only(url: str, policy: object, **_: object) -> FetchResult:
        raise AssertionError("pages must go through fetch_page")

    feed_stages = FeedStages(stages, FakeFeeds(), feeds_only, POLICY, fetch_page=refuse)
    summary = Article(id="u1", origin=Origin(kind="feed", location="https://example.org/rss"),
                      url="https://example.org/private/1", title="Harbour",
                      body="The harbour reopened.", body_source="feed_summary")
    with structlog.testing.capture_logs() as logs:
        feed_stages.handle_fulltext(ArticleEnvelope(job_id="j", ledger_key="j:0#0",
                                                    article=summary))
    [[sent]] = outbox.enriched
    assert (sent.article.body, sent.article.body_source) == (summary.body, "feed_summary")
    assert sent.article.provenance[-1].stage == "fulltext"
    assert sent.article.provenance[-1].name == "unavailable:robots_disallowed"
    # A site saying no is routine: info, not a warning.
    assert [(e["event"], e["log_level"], e["reason_code"]) for e in logs] == [
        ("fulltext unavailable", "info", "robots_disallowed")]
