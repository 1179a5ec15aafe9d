"""Small in-memory fakes of the stages' ports (store, ledger, outbox, enricher, feed state)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from worker.feeds.config import FeedConfig, FeedState
from worker.index.writes import BulkOutcome, Current, Write
from worker.jobs.summary import Outcome
from worker.pipeline.messages import ArticleEnvelope, FeedPollRequest, SourceItem
from worker.record import Article


@dataclass
class FakeStore:
    """Documents by id; ``verdicts`` makes a bulk item rejected ('reason') or retried ('429')."""

    docs: dict[str, dict[str, Any]] = field(default_factory=dict)
    quarantined: dict[str, dict[str, Any]] = field(default_factory=dict)
    verdicts: dict[str, str] = field(default_factory=dict)
    writes: list[Write] = field(default_factory=list)

    def current(self, ids: list[str]) -> dict[str, Current]:
        return {i: Current(self.docs[i], 1, 1) for i in ids if i in self.docs}

    def near_duplicate_candidates(self, band_sets: list[list[str]],
                                  size: int = 20) -> list[dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for bands in band_sets:
            sharing = sorted(((len(set(d["minhash_bands"]) & set(bands)), i)
                              for i, d in self.docs.items()), reverse=True)
            for shared, i in sharing[:size]:
                if shared:
                    found.setdefault(i, {"id": i, "story_id": self.docs[i].get("story_id"),
                                         "minhash": self.docs[i]["minhash"],
                                         "minhash_bands": self.docs[i]["minhash_bands"]})
        return list(found.values())

    def bulk_write(self, writes: list[Write]) -> BulkOutcome:
        self.writes += writes
        outcome = BulkOutcome()
        for w in writes:
            verdict = self.verdicts.get(w.doc_id)
            if verdict == "429":
                outcome.retry[w.doc_id] = "429 too many requests"
            elif verdict:
                outcome.rejected[w.doc_id] = verdict
            else:
                self.docs[w.doc_id] = w.document
                outcome.written.append(w.doc_id)
        return outcome

    def put_quarantine(self, documents: dict[str, dict[str, Any]]) -> None:
        self.quarantined.update(documents)


@dataclass
class FakeLedger:
    """Job bookkeeping with the real ledger's first-write-wins outcomes."""

    sources: dict[str, str] = field(default_factory=dict)
    articles: dict[str, str] = field(default_factory=dict)
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def open_job(self, job_id: str, source_keys: list[str]) -> None:
        self.sources |= dict.fromkeys(source_keys, "pending")

    def register_articles(self, job_id: str, source_key: str, ledger_keys: list[str]) -> None:
        for key in ledger_keys:
            self.articles.setdefault(key, source_key)
        self.sources[source_key] = "parsed"

    def source_quarantined(self, job_id: str, source_key: str) -> None:
        self.articles.setdefault(source_key, source_key)
        self.outcomes.setdefault(source_key, "quarantined")
        self.sources[source_key] = "quarantined"

    def source_failed(self, job_id: str, source_key: str, reason: str) -> None:
        self.sources[source_key] = "failed"
        self.errors[source_key] = reason

    def record(self, job_id: str, outcomes: dict[str, Outcome]) -> None:
        for key, outcome in outcomes.items():
            self.outcomes.setdefault(key, outcome)

    def counts(self) -> dict[str, int]:
        """Outcome -> how many items have it."""
        result: dict[str, int] = {}
        for outcome in self.outcomes.values():
            result[outcome] = result.get(outcome, 0) + 1
        return result


@dataclass
class FakeOutbox:
    """Records what each stage handed on."""

    parsed: list[SourceItem] = field(default_factory=list)
    enriched: list[list[ArticleEnvelope]] = field(default_factory=list)
    indexed: list[tuple[list[ArticleEnvelope], int]] = field(default_factory=list)
    fulltexts: list[ArticleEnvelope] = field(default_factory=list)
    polls: list[FeedPollRequest] = field(default_factory=list)

    groups: list[list[SourceItem]] = field(default_factory=list)

    def parse(self, item: SourceItem) -> None:
        self.parsed.append(item)

    def parse_group(self, items: list[SourceItem]) -> None:
        self.groups.append(items)
        self.parsed.extend(items)

    def enrich(self, batch: list[ArticleEnvelope]) -> None:
        self.enriched.append(batch)

    def index(self, batch: list[ArticleEnvelope], *, delay_s: int = 0) -> None:
        self.indexed.append((batch, delay_s))

    def fulltext(self, envelope: ArticleEnvelope) -> None:
        self.fulltexts.append(envelope)

    def poll(self, request: FeedPollRequest) -> None:
        self.polls.append(request)


@dataclass
class FakeEnricher:
    """Marks articles enriched; ``fail`` says which titles raise which error."""

    fail: dict[str, Exception] = field(default_factory=dict)

    def enrich_many(self, articles: list[Article]) -> list[Article | Exception]:
        return [self.fail.get(a.title) or a.model_copy(update={"ner_status": "ok"})
                for a in articles]


@dataclass
class FakeFeeds:
    """Feed state, seen entries and leases in memory."""

    configs: list[FeedConfig] = field(default_factory=list)
    states: dict[str, FeedState] = field(default_factory=dict)
    seen_entries: dict[str, dict[str, str]] = field(default_factory=dict)
    leased: set[str] = field(default_factory=set)
    released: list[str] = field(default_factory=list)

    def state(self, fid: str) -> FeedState:
        return self.states.get(fid, FeedState())

    def save_state(self, fid: str, state: FeedState) -> None:
        self.states[fid] = state

    def seen(self, fid: str, keys: list[str]) -> dict[str, str]:
        known = self.seen_entries.get(fid, {})
        return {k: known[k] for k in keys if k in known}

    def mark_seen(self, fid: str, fingerprints: dict[str, str]) -> None:
        self.seen_entries.setdefault(fid, {}).update(fingerprints)

    def due(self, now: datetime | None = None) -> list[FeedConfig]:
        return list(self.configs)

    def lease(self, fid: str, seconds: int) -> bool:
        if fid in self.leased:
            return False
        self.leased.add(fid)
        return True

    def release(self, fid: str) -> None:
        self.leased.discard(fid)
        self.released.append(fid)


Fetch = Callable[..., Any]
