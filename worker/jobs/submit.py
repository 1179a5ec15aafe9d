"""Turning user input into queued work: a job is opened in the ledger before any of its
messages is sent, so a waiting CLI can never miss one; then the sources are queued."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from worker.feeds.config import FeedConfig, feed_id
from worker.jobs.keys import (
    envelopes_for,
    feed_source_key,
    new_job_id,
    seed_source_key,
    stored_source_key,
)
from worker.pipeline.messages import FeedPollRequest, SourceItem
from worker.pipeline.ports import Ledger, Outbox
from worker.pipeline.stages import batches, parse_source
from worker.record import Article, Origin
from worker.settings import Settings
from worker.sources.discover import discover_seed_files, seed_paths


def source_items(paths: list[Path], job_id: str, settings: Settings) -> list[SourceItem]:
    """Read each seed file into a message; an oversized file travels without its bytes."""
    files = discover_seed_files(paths, settings.max_seed_files)
    return [source_item(job_id, seed_source_key(job_id, n), path, settings)
            for n, path in enumerate(files)]


def source_item(job_id: str, key: str, path: Path, settings: Settings) -> SourceItem:
    """One seed file as a message (OSError if it cannot be read)."""
    origin = Origin(kind="seed", location=str(path.resolve()), job_id=job_id)
    size = path.stat().st_size
    if size > settings.max_seed_bytes:
        return SourceItem(job_id=job_id, key=key, origin=origin, size=size)
    return SourceItem.from_bytes(job_id, key, origin, path.read_bytes())


GROUP_BYTES = 4 * 1024 * 1024  # of file content in one parse message, at most


class SourceGroups:
    """Consecutive seed files gathered into parse messages of up to ``files`` files and
    ``GROUP_BYTES`` of content: a folder of one-article files then feeds NLP full batches
    (one parse task, one NLP batch and one bulk per group instead of per file)."""

    def __init__(self, files: int) -> None:
        self.files = max(1, files)
        self.items: list[SourceItem] = []
        self.size = 0

    def add(self, item: SourceItem) -> list[SourceItem] | None:
        """Take ``item``; returns the group it closed, if any, to send now."""
        size = len(item.content_b64 or "")
        closed = None
        if self.items and (len(self.items) >= self.files or self.size + size > GROUP_BYTES):
            closed = self.rest()
        self.items.append(item)
        self.size += size
        return closed

    def rest(self) -> list[SourceItem]:
        """The group being filled (emptied)."""
        items, self.items, self.size = self.items, [], 0
        return items


def feed_poll_request(cfg: FeedConfig, job_id: str) -> FeedPollRequest:
    """The message for one poll of ``cfg`` counted in ``job_id``."""
    return FeedPollRequest(job_id=job_id, source_key=feed_source_key(job_id, cfg.feed_id),
                           feed=cfg)


def submit(job_id: str, items: Sequence[SourceItem], feeds: Sequence[FeedConfig],
           ledger: Ledger, outbox: Outbox) -> None:
    """Open the job with every source, then queue the files and the feed polls."""
    polls = [feed_poll_request(cfg, job_id) for cfg in feeds]
    ledger.open_job(job_id, [item.key for item in items] + [p.source_key for p in polls])
    for item in items:
        outbox.parse(item)
    for poll in polls:
        outbox.poll(poll)


def open_feed_poll(cfg: FeedConfig, job_id: str, ledger: Ledger, outbox: Outbox) -> None:
    """A job of one feed poll (beat's), opened and queued."""
    submit(job_id, [], [cfg], ledger, outbox)


def submit_articles(job_id: str, articles: Sequence[Article], ledger: Ledger, outbox: Outbox,
                    batch_size: int, batch_chars: int | None = None) -> None:
    """A job that sends already-parsed articles straight to NLP (re-enrichment)."""
    source_key = stored_source_key(job_id)
    ledger.open_job(job_id, [source_key])
    envelopes = envelopes_for(job_id, source_key, articles)
    ledger.register_articles(job_id, source_key, [e.ledger_key for e in envelopes])
    for batch in batches(envelopes, batch_size, batch_chars):
        outbox.enrich(batch)


def is_url(target: str) -> bool:
    """True for a feed URL target (anything else is a path)."""
    return target.startswith(("http://", "https://"))


def start_ingest(targets: Sequence[str], settings: Settings, ledger: Ledger, outbox: Outbox,
                 known_feeds: Mapping[str, FeedConfig]) -> str:
    """Queue seed files, folders and feed URLs as one job; its id.

    A URL of a registered feed is polled with that feed's configuration. Nothing is queued
    when a path does not exist (FileNotFoundError) or is refused (SeedPathError: empty, a
    root, the home folder, more than ``max_seed_files`` files). Files are read one at a time
    after the job is opened, so memory holds one file; one that cannot be read then counts
    as a failed source (an error of the job), not as a lost one.
    """
    files = discover_seed_files(seed_paths([t for t in targets if not is_url(t)]),
                                settings.max_seed_files)
    job_id = new_job_id()
    keys = [seed_source_key(job_id, n) for n in range(len(files))]
    polls = [feed_poll_request(known_feeds.get(feed_id(t)) or FeedConfig(url=t, added_by="cli"),
                               job_id) for t in targets if is_url(t)]
    ledger.open_job(job_id, keys + [p.source_key for p in polls])
    group = SourceGroups(settings.batch_size)
    for key, path in zip(keys, files, strict=True):
        try:
            item = source_item(job_id, key, path, settings)
        except OSError as exc:
            ledger.source_failed(job_id, key, f"cannot read {path}: {exc.strerror or exc}")
            continue
        if full := group.add(item):
            outbox.parse_group(full)
    outbox.parse_group(group.rest())
    for poll in polls:
        outbox.poll(poll)
    return job_id


def start_reenrich(articles: Sequence[Article], ledger: Ledger, outbox: Outbox,
                   batch_size: int, batch_chars: int | None = None) -> str:
    """Queue stored articles for NLP again as one job; its id."""
    job_id = new_job_id("reenrich-")
    submit_articles(job_id, articles, ledger, outbox, batch_size, batch_chars)
    return job_id


def seed_article_ids(paths: list[Path], settings: Settings) -> list[str]:
    """Ids of the articles these seed files hold (parsed here; unreadable files give none)."""
    ids: list[str] = []
    for item in source_items(paths, "local", settings):
        try:
            ids += [env.article.id for env in parse_source(item, settings)[0]]
        except Exception:  # a refused file is the quarantine's business, not a lookup's
            continue
    return ids
