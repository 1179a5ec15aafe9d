"""One poll of one feed: conditional fetch, validator checks, parse, new/changed entries.

Pure apart from the injected ``fetch`` function, so every rule is tested without a network.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from worker.errors import QuarantineError, TransientError
from worker.feeds.config import FeedConfig, FeedState
from worker.feeds.schedule import (
    next_poll_after_error,
    next_poll_after_success,
    should_verify_validators,
    status_for,
)
from worker.index.dedup import content_hash
from worker.record import Article, Origin
from worker.settings import Settings
from worker.sources.feed_documents import entry_to_article, parse_feed

Fetch = Callable[..., Any]


@dataclass
class PollOutcome:
    """What a poll found and the feed's state after it."""

    state: FeedState
    articles: list[Article] = field(default_factory=list)
    fingerprints: dict[str, str] = field(default_factory=dict)
    unchanged: int = 0
    warnings: list[str] = field(default_factory=list)
    error: BaseException | None = None
    rejected_body: bytes | None = None


def entry_key(article: Article) -> str:
    """What identifies an entry within its feed: GUID, else URL, else text."""
    return article.guid or article.url or article.id


def entry_fingerprint(article: Article) -> str:
    """Changes when the entry's text or dates change (an edit to re-process)."""
    stamp = ",".join(sorted(c.value.isoformat() for c in article.date_candidates))
    digest = content_hash(article.title, f"{article.body}\n{article.summary or ''}\n{stamp}")
    return digest[:32]


def needs_fulltext(cfg: FeedConfig, article: Article) -> bool:
    """Fetch the page when the feed carries only a summary or a headline (or always)."""
    if cfg.fulltext == "never" or not article.url:
        return False
    return cfg.fulltext == "always" or article.body_source in {"feed_summary", "headline"}


def poll_feed(
    cfg: FeedConfig,
    state: FeedState,
    settings: Settings,
    *,
    fetch: Fetch,
    policy: Any,
    seen: Callable[[list[str]], dict[str, str]],
    job_id: str,
    now: datetime | None = None,
) -> PollOutcome:
    """Fetch and parse the feed; return new or edited entries and the next state."""

    now = now or datetime.now(UTC)
    interval = timedelta(minutes=cfg.interval_minutes)
    verify = should_verify_validators(state.polls, state.validators_trusted)
    new = state.model_copy(update={"last_attempt_at": now, "polls": state.polls + 1})
    try:
        result = fetch(
            cfg.url, policy,
            etag=None if verify else state.etag,
            last_modified=None if verify else state.last_modified,
        )
    except (TransientError, QuarantineError) as exc:
        retry_after = getattr(exc, "retry_after_s", None)  # a 429/503's Retry-After
        return _failed(new, exc, now, interval, retry_after)

    if result.not_modified:
        new.next_poll_at = next_poll_after_success(now, interval, cache_ttl_s=result.cache_ttl_s)
        return _succeeded(new, now)

    body_hash = hashlib.sha256(result.body).hexdigest()
    same_validators = bool(
        (result.etag and result.etag == state.etag)
        or (result.last_modified and result.last_modified == state.last_modified)
    )
    if verify and state.content_hash and same_validators and body_hash != state.content_hash:
        # The server would have answered 304 to these validators for changed content.
        new.validators_trusted = False
        new.validator_lies += 1
    new.etag, new.last_modified, new.content_hash = result.etag, result.last_modified, body_hash

    try:
        parsed = parse_feed(
            result.body, content_type=result.content_type,
            max_entries=settings.feed_max_entries, max_field_chars=settings.max_field_chars,
        )
    except QuarantineError as exc:
        outcome = _failed(new, exc, now, interval, None)
        outcome.rejected_body = result.body
        return outcome

    articles = []
    for entry in parsed.entries:
        article = entry_to_article(entry, feed_url=cfg.url, job_id=job_id, fetched_at=now)
        if cfg.language and not article.language:
            article = article.model_copy(update={"language": cfg.language})
        articles.append(article)
    fingerprints = {entry_key(a): entry_fingerprint(a) for a in articles}
    known = seen(list(fingerprints))
    fresh = [a for a in articles if known.get(entry_key(a)) != fingerprints[entry_key(a)]]
    new.feed_title, new.feed_format = parsed.title, parsed.format
    new.entries_seen += len(articles)
    new.articles_submitted += len(fresh)
    new.next_poll_at = next_poll_after_success(
        now, interval, cache_ttl_s=result.cache_ttl_s, feed_ttl_minutes=parsed.ttl_minutes
    )
    outcome = _succeeded(new, now)
    outcome.articles = fresh
    outcome.fingerprints = {entry_key(a): fingerprints[entry_key(a)] for a in fresh}
    outcome.unchanged = len(articles) - len(fresh)
    outcome.warnings = list(parsed.warnings)
    return outcome


def _succeeded(state: FeedState, now: datetime) -> PollOutcome:
    state.status, state.consecutive_errors, state.last_error = "ok", 0, None
    state.last_success_at = now
    return PollOutcome(state=state)


def _failed(state: FeedState, exc: BaseException, now: datetime, interval: timedelta,
            retry_after_s: float | None) -> PollOutcome:
    state.consecutive_errors += 1
    state.status = status_for(state.consecutive_errors)  # type: ignore[assignment]
    state.last_error = f"{type(exc).__name__}: {exc}"
    state.next_poll_at = next_poll_after_error(
        now, interval, state.consecutive_errors, retry_after_s=retry_after_s
    )
    return PollOutcome(state=state, error=exc)


def feed_origin(cfg: FeedConfig, job_id: str) -> Origin:
    """Origin of articles delivered by a feed."""
    return Origin(kind="feed", location=cfg.url, job_id=job_id)
