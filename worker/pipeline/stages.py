"""The pipeline's stages as plain Python: parse a source, enrich articles, index them.

Each stage gets its adapters (store, ledger, outbox, enricher) as arguments; Celery tasks
only deserialise a message and call one method here. Per-item failures are quarantined
here so that one bad article never sinks a batch.
"""

from __future__ import annotations

import functools
import time
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any

import structlog

from worker.enrich.normalise import EntityTables, default_tables
from worker.errors import QuarantineError, TooLargeError, TransientError
from worker.index.dedup import CandidatePool, text_fingerprint
from worker.index.documents import WritePlan, article_document, plan_write
from worker.index.layout import IndexLayout, load_layout
from worker.index.writes import BulkOutcome, Write
from worker.jobs.keys import envelopes_for
from worker.jobs.summary import Outcome
from worker.metrics.counting import count_nlp_batch, count_parsed, count_written
from worker.pipeline.messages import ArticleEnvelope, SourceItem
from worker.pipeline.ports import Enricher, Ledger, Outbox, Store
from worker.pipeline.quarantine import Quarantine, plan_bad_records
from worker.record import Article
from worker.settings import Settings
from worker.sources.seed_common import RecordError
from worker.sources.seed_files import parse_seed_file

log = structlog.get_logger(__name__)

# Documents per bulk request of the index stage: a batch of 128 goes in two requests, the
# first written while the second's documents are built.
BULK_PART = 64


def batches(items: list[ArticleEnvelope], size: int,
            max_chars: int | None = None) -> list[list[ArticleEnvelope]]:
    """Consecutive slices of at most ``size`` items and, when given, at most ``max_chars``
    characters of title and body (an item longer than that alone)."""
    if max_chars is None:
        return [items[i : i + size] for i in range(0, len(items), size)]
    out: list[list[ArticleEnvelope]] = []
    batch: list[ArticleEnvelope] = []
    chars = 0
    for item in items:
        length = len(item.article.title) + len(item.article.body)
        if batch and (len(batch) >= size or chars + length > max_chars):
            out.append(batch)
            batch, chars = [], 0
        batch.append(item)
        chars += length
    if batch:
        out.append(batch)
    return out


def with_fingerprint(article: Article) -> Article:
    """The article carrying its text's fingerprints (``TextFingerprint``)."""
    return article.model_copy(
        update={"fingerprint": text_fingerprint(article.title, article.body)})


def parse_source(
    item: SourceItem, settings: Settings
) -> tuple[list[ArticleEnvelope], list[RecordError]]:
    """Articles in one source, each with the ledger key that counts it, and its bad records."""
    if item.content_b64 is None:
        raise TooLargeError(
            f"file is {item.size} bytes, above the {settings.max_seed_bytes}-byte limit"
        )
    parsed = parse_seed_file(
        item.content(), item.origin, max_bytes=settings.max_seed_bytes,
        max_text_chars=settings.max_text_chars,
    )
    return envelopes_for(item.job_id, item.key, parsed.articles), parsed.errors


class Stages:
    """The parse, enrich and index stages bound to their adapters."""

    def __init__(self, settings: Settings, store: Store, ledger: Ledger, outbox: Outbox,
                 enricher: Enricher) -> None:
        self.settings = settings
        self.store = store
        self.ledger = ledger
        self.outbox = outbox
        self.enricher = enricher
        self.quarantine = Quarantine(store, ledger)

    @functools.cached_property
    def entity_tables(self) -> EntityTables:
        """Alias and country tables for entity search keys; built on first index, not start-up."""
        return default_tables(self.settings.config_dir)

    @functools.cached_property
    def index_layout(self) -> IndexLayout:
        """Which languages and labels the articles mapping has fields for."""
        return load_layout(self.settings.config_dir)

    def send_to_nlp(self, envelopes: list[ArticleEnvelope]) -> None:
        """Hand articles to the NLP stage in batches of the configured size and text, each
        with its text's fingerprints: made here, on the fetch workers, the index stage (the
        one that needs them) does not spend its time on them."""
        ready = [env.model_copy(update={"article": with_fingerprint(env.article)})
                 for env in envelopes]
        for batch in batches(ready, self.settings.batch_size, self.settings.batch_chars):
            self.outbox.enrich(batch)

    def handle_source(self, item: SourceItem) -> int:
        """Parse a source and hand its articles on in batches; bad input is quarantined."""
        return self.handle_sources([item])

    def handle_sources(self, items: list[SourceItem]) -> int:
        """Parse sources and hand all their articles on together, so that many one-article
        files still make full NLP batches; each bad source is quarantined on its own."""
        envelopes: list[ArticleEnvelope] = []
        for item in items:
            envelopes += self._registered(item)
        self.send_to_nlp(envelopes)
        return len(envelopes)

    def _registered(self, item: SourceItem) -> list[ArticleEnvelope]:
        """One source's articles, counted in the ledger; its bad records quarantined."""
        try:
            envelopes, errors = parse_source(item, self.settings)
        except QuarantineError as exc:
            self.quarantine.source(item, exc, stage="parse")
            return []
        if not envelopes:  # only bad records (a file yielding nothing at all raised above)
            self.quarantine.bad_file(item, errors)
            return []
        plan = plan_bad_records(item.key, errors, self.settings.max_bad_records)
        self.ledger.register_articles(
            item.job_id, item.key, [e.ledger_key for e in envelopes] + plan.keys
        )
        if errors:
            self.quarantine.records(item, plan)
        count_parsed(item.origin.kind, len(envelopes))
        return envelopes

    def handle_enrich(self, envelopes: list[ArticleEnvelope]) -> None:
        """Enrich the batch; an article that fails is quarantined, the rest go on."""
        started = time.perf_counter()
        results = self.enricher.enrich_many([env.article for env in envelopes])
        count_nlp_batch(results, time.perf_counter() - started)
        enriched: list[ArticleEnvelope] = []
        for envelope, result in zip(envelopes, results, strict=True):
            if isinstance(result, Exception):
                self.quarantine.articles([envelope], result, stage="enrich")
            else:
                enriched.append(envelope.model_copy(update={"article": result}))
        if enriched:
            self.outbox.index(enriched)

    @functools.cached_property
    def _bulk_writer(self) -> ThreadPoolExecutor:
        """One thread that sends a batch's bulk requests in order while this one builds the
        next part's documents (started on first use: in the worker process, after the fork)."""
        return ThreadPoolExecutor(max_workers=1, thread_name_prefix="bulk")

    def handle_index(self, envelopes: list[ArticleEnvelope]) -> list[ArticleEnvelope]:
        """Write the articles (new, duplicate, edited, near-duplicate); returns those to retry.

        A batch is written in parts of ``BULK_PART`` documents: Elasticsearch writes one
        part while this process builds the next part's documents, rather than waiting idle
        for the whole batch's (a third of a batch's time, measured on 128 articles).
        """
        by_id: dict[str, list[ArticleEnvelope]] = {}
        for envelope in envelopes:
            by_id.setdefault(envelope.article.id, []).append(envelope)
        current = self.store.current(list(by_id))
        ids = list(by_id)
        plans: dict[str, WritePlan] = {}
        pool = CandidatePool()
        sent: list[Future[BulkOutcome]] = []
        try:
            for start in range(0, len(ids), BULK_PART):
                part: dict[str, WritePlan] = {}
                for doc_id in ids[start : start + BULK_PART]:
                    existing = current.get(doc_id)
                    part[doc_id] = plan_write(
                        article_document(by_id[doc_id][0].article, self.entity_tables,
                                         self.index_layout),
                        existing.source if existing else None,
                    )
                self._link_near_duplicates(pool, [(i, p.document) for i, p in part.items()
                                                  if p.action == "create"])
                plans |= part
                writes = [Write(doc_id, plan.action, plan.document, current.get(doc_id))
                          for doc_id, plan in part.items() if plan.action != "skip"]
                if writes:
                    sent.append(self._bulk_writer.submit(self.store.bulk_write, writes))
        finally:
            wait(sent)  # nothing of this batch is still being written when it is retried
        outcome = BulkOutcome()
        for future in sent:
            part_outcome = future.result()
            outcome.written += part_outcome.written
            outcome.rejected |= part_outcome.rejected
            outcome.retry |= part_outcome.retry
        done = set(outcome.written) | {i for i, p in plans.items() if p.action == "skip"}
        results: dict[str, dict[str, Outcome]] = {}
        for doc_id in done:
            for n, env in enumerate(by_id[doc_id]):
                # Later copies of the same article in one batch are duplicates of the first.
                results.setdefault(env.job_id, {})[env.ledger_key] = (
                    plans[doc_id].outcome if n == 0 else "duplicate"
                )
        for doc_id, reason in outcome.rejected.items():
            self.quarantine.articles(
                by_id[doc_id], QuarantineError(reason, reason_code="index_rejected"),
                stage="index",
            )
        for job_id, outcomes in results.items():
            self.ledger.record(job_id, outcomes)
            count_written(outcomes.values())
        log.info("indexed", written=len(outcome.written), rejected=len(outcome.rejected),
                 retry=len(outcome.retry))
        return [env for doc_id in outcome.retry for env in by_id[doc_id]]

    def index_and_requeue(self, envelopes: list[ArticleEnvelope]) -> None:
        """Index a batch; items Elasticsearch asked to retry go back on the queue alone."""
        retry = self.handle_index(envelopes)
        if not retry:
            return
        if len(retry) == len(envelopes):
            raise TransientError(f"elasticsearch asked to retry all {len(retry)} items")
        self.outbox.index(retry, delay_s=5)

    def _link_near_duplicates(self, pool: CandidatePool,
                              new_docs: list[tuple[str, dict[str, Any]]]) -> None:
        """Point each new document at the story it re-publishes (indexed, or earlier in this
        batch: ``pool`` holds the batch's documents planned so far)."""
        for candidate in self.store.near_duplicate_candidates(
                [doc["minhash_bands"] for _, doc in new_docs]):
            pool.add(candidate)
        for doc_id, doc in new_docs:
            found = pool.best(tuple(doc["minhash"]), doc["minhash_bands"])
            if found:
                doc["near_duplicate_of"], doc["story_id"] = found[0], found[1]
                doc["near_duplicate_similarity"] = round(found[2], 3)
            else:
                doc["story_id"] = doc_id
            pool.add({"id": doc_id, "story_id": doc["story_id"], "minhash": doc["minhash"],
                      "minhash_bands": doc["minhash_bands"]})
