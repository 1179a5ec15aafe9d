"""One feed poll, with the network cut at the fetch function: validators, trust, errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from worker.feeds.config import FeedConfig, FeedState
from worker.feeds.poll import PollOutcome, entry_key, poll_feed
from worker.http import FetchPolicy, FetchResult, RateLimitedError, UpstreamError
from worker.settings import Settings

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
CFG = FeedConfig(url="https://news.example.org/feed.xml", interval_minutes=15)
SETTINGS = Settings(_env_file=None)  # type: ignore[call-arg]
POLICY = FetchPolicy.from_settings(SETTINGS)


def rss(*titles: str) -> bytes:
    items = "".join(
        f"<item><link>https://news.example.org/{n}</link><title>{t}</title>"
        f"<description>{t} happened today in the city, officials said.</description></item>"
        for n, t in enumerate(titles)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{items}' \
           f"</channel></rss>".encode()


def result(body: bytes = b"", *, etag: str | None = '"e1"', status: int = 200) -> FetchResult:
    return FetchResult(url=CFG.url, status=status, headers={}, body=body,
                       not_modified=status == 304, etag=etag, last_modified=None,
                       content_type="application/rss+xml", retry_after_s=None,
                       cache_ttl_s=None, elapsed_s=0.01)


class FakeFetch:
    """Answers with queued results (or raises queued errors); records validators sent."""

    def __init__(self, *answers: FetchResult | Exception) -> None:
        self.answers = list(answers)
        self.calls: list[dict[str, Any]] = []

    def __call__(self, url: str, policy: Any, **validators: Any) -> FetchResult:
        self.calls.append(validators)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def run(fetch: FakeFetch, state: FeedState, seen: dict[str, str] | None = None,
        now: datetime = NOW) -> PollOutcome:
    return poll_feed(CFG, state, SETTINGS, fetch=fetch, policy=POLICY,
                     seen=lambda keys: seen or {}, job_id="j", now=now)


def test_first_poll_returns_entries_and_remembers_validators() -> None:
    out = run(FakeFetch(result(rss("Dam opens", "Bridge closes"))), FeedState())
    assert [a.title for a in out.articles] == ["Dam opens", "Bridge closes"]
    assert (out.state.status, out.state.etag, out.state.polls) == ("ok", '"e1"', 1)
    assert out.state.next_poll_at is not None and out.state.next_poll_at > NOW
    assert all(a.origin.kind == "feed" or a.url for a in out.articles)


def test_conditional_get_and_304() -> None:
    first = run(FakeFetch(result(rss("Dam opens"))), FeedState())
    fetch = FakeFetch(result(status=304))
    second = run(fetch, first.state)
    assert fetch.calls[0]["etag"] == '"e1"'
    assert second.articles == [] and second.state.status == "ok"


def test_unchanged_entries_are_not_handed_on_again_but_edits_are() -> None:
    first = run(FakeFetch(result(rss("Dam opens", "Bridge closes"))), FeedState())
    seen = dict(first.fingerprints)
    again = run(FakeFetch(result(rss("Dam opens", "Bridge closes"), etag='"e2"')),
                first.state, seen)
    assert again.articles == [] and again.unchanged == 2
    edited = run(FakeFetch(result(rss("Dam opens", "Bridge reopens"), etag='"e3"')),
                 first.state, seen)
    assert [a.title for a in edited.articles] == ["Bridge reopens"]
    assert entry_key(edited.articles[0]) == "https://news.example.org/1"


def test_lying_validators_lose_trust() -> None:
    state = run(FakeFetch(result(rss("Dam opens"))), FeedState()).state
    state.polls = 10  # a verification poll: no validators sent
    fetch = FakeFetch(result(rss("Dam opens", "New story"), etag='"e1"'))  # same ETag, new body
    out = run(fetch, state)
    assert fetch.calls[0]["etag"] is None
    assert (out.state.validators_trusted, out.state.validator_lies) == (False, 1)
    # From now on every poll goes without validators.
    later = FakeFetch(result(rss("Dam opens", "New story"), etag='"e1"'))
    run(later, out.state)
    assert later.calls[0]["etag"] is None


def test_errors_back_off_honour_retry_after_and_mark_failing() -> None:
    state = FeedState()
    for n in range(1, 6):
        out = run(FakeFetch(UpstreamError("boom", status=502)), state)
        state = out.state
        assert state.consecutive_errors == n and "boom" in str(state.last_error)
    assert state.status == "failing" and state.next_poll_at is not None
    limited = run(FakeFetch(RateLimitedError("slow down", status=429, retry_after_s=7200)),
                  FeedState())
    assert limited.state.next_poll_at is not None
    assert limited.state.next_poll_at - NOW >= timedelta(hours=2)
    recovered = run(FakeFetch(result(rss("Dam opens"))), state)
    assert (recovered.state.status, recovered.state.consecutive_errors) == ("ok", 0)


def test_a_page_that_is_not_a_feed_is_kept_for_quarantine() -> None:
    out = run(FakeFetch(result(b"<html><body>Welcome</body></html>")), FeedState())
    assert out.error is not None and "not a feed" in str(out.error).lower()
    assert out.rejected_body == b"<html><body>Welcome</body></html>"
    assert out.state.consecutive_errors == 1
