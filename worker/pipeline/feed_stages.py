"""The feed stages: beat's tick (queue due feeds), one poll of a feed, and the full text of
a summary-only or headline entry. Plain Python over injected adapters, like the other stages."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import structlog

from worker.errors import EmptyInputError, QuarantineError
from worker.feeds.fulltext import apply_page
from worker.feeds.poll import feed_origin, needs_fulltext, poll_feed
from worker.jobs.keys import envelopes_for
from worker.jobs.submit import open_feed_poll
from worker.metrics.counting import count_feed_error, count_parsed
from worker.pipeline.messages import ArticleEnvelope, FeedPollRequest, SourceItem
from worker.pipeline.ports import FeedStateStore, Fetch
from worker.pipeline.stages import Stages
from worker.record import Article, Provenance
from worker.sources.page_extract import extract_page

log = structlog.get_logger(__name__)


class FeedStages:
    """Polling and full text, sharing the article stages' ledger, outbox and quarantine."""

    def __init__(self, stages: Stages, feeds: FeedStateStore, fetch: Fetch,
                 fetch_policy: Any, *, fetch_page: Fetch | None = None) -> None:
        self.stages = stages
        self.settings = stages.settings
        self.feeds = feeds
        self.fetch = fetch
        # Article pages may go through a stricter fetch than feeds (robots.txt).
        self.fetch_page = fetch_page or fetch
        self.fetch_policy = fetch_policy

    def schedule_due(self, now: datetime | None = None) -> int:
        """Queue a poll for every feed that is due and not being polled; how many."""
        if not self.settings.feed_polling_enabled:
            return 0
        now = now or datetime.now(UTC)
        queued = 0
        for cfg in self.feeds.due(now):
            if self.feeds.lease(cfg.feed_id, self.settings.task_time_limit_s * 2):
                open_feed_poll(cfg, f"feed-{cfg.feed_id}-{int(now.timestamp())}",
                               self.stages.ledger, self.stages.outbox)
                queued += 1
        return queued

    def handle_poll(self, request: FeedPollRequest) -> None:
        """Poll one feed; new and edited entries go on to full text or straight to NLP."""
        cfg, job_id, source_key = request.feed, request.job_id, request.source_key
        ledger = self.stages.ledger
        try:
            outcome = poll_feed(
                cfg, self.feeds.state(cfg.feed_id), self.settings, fetch=self.fetch,
                policy=self.fetch_policy, job_id=job_id,
                seen=lambda keys: self.feeds.seen(cfg.feed_id, keys),
            )
            self.feeds.save_state(cfg.feed_id, outcome.state)
            if outcome.error is not None:
                count_feed_error(outcome.error)
                if outcome.rejected_body is not None:
                    item = SourceItem.from_bytes(job_id, source_key, feed_origin(cfg, job_id),
                                                 outcome.rejected_body)
                    self.stages.quarantine.source(item, outcome.error, stage="feed")
                else:
                    ledger.source_failed(job_id, source_key, str(outcome.error))
                return
            envelopes = envelopes_for(job_id, source_key, outcome.articles)
            ledger.register_articles(job_id, source_key, [e.ledger_key for e in envelopes])
            direct = []
            for env in envelopes:
                if needs_fulltext(cfg, env.article):
                    self.stages.outbox.fulltext(env)
                elif _has_text(env.article):
                    direct.append(env)
                else:
                    self.stages.quarantine.articles([env], _no_text(), stage="feed")
            self.stages.send_to_nlp(direct)
            count_parsed("feed", len(envelopes))
            self.feeds.mark_seen(cfg.feed_id, outcome.fingerprints)
        finally:
            self.feeds.release(cfg.feed_id)

    def give_up_poll(self, request: FeedPollRequest, exc: BaseException) -> None:
        """A poll that keeps failing: the source counts as failed, the lease is freed."""
        count_feed_error(exc)
        self.stages.ledger.source_failed(request.job_id, request.source_key, str(exc))
        self.feeds.release(request.feed.feed_id)

    def handle_fulltext(self, env: ArticleEnvelope) -> None:
        """Fetch a summary-only or headline entry's page; without it the feed's text is indexed."""
        article = env.article
        try:
            result = self.fetch_page(article.url or "", self.fetch_policy)
            article = apply_page(article, extract_page(result.body, url=result.url),
                                 datetime.now(UTC))
        except QuarantineError as exc:  # 404, blocked address, robots.txt: keep the summary
            # A site's robots.txt saying no is routine; a page that fails is worth a look.
            report = log.info if exc.reason_code.startswith("robots_") else log.warning
            report("fulltext unavailable", url=article.url, reason=str(exc),
                   reason_code=exc.reason_code)
            article = article.model_copy(update={"provenance": [*article.provenance, Provenance(
                stage="fulltext", name=f"unavailable:{exc.reason_code}", version="1",
                at=datetime.now(UTC))]})
        env = env.model_copy(update={"article": article})
        if _has_text(article):
            self.stages.send_to_nlp([env])
        else:
            self.stages.quarantine.articles([env], _no_text(), stage="fulltext")


def _has_text(article: Article) -> bool:
    """A title is news (a headline, indexed by its title); neither title nor text is not."""
    return bool(article.title.strip() or article.body.strip())


def _no_text() -> EmptyInputError:
    return EmptyInputError("the feed entry has no title, content or summary text")
