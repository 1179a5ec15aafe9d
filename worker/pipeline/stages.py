"""The pipeline's stages as plain Python: parse a source, enrich articles, index them.

Each stage takes its adapters as arguments; Celery tasks only move payloads between them.
Per-item failures are quarantined here so that one bad article never sinks a batch.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import structlog

from worker.enrich.annotate import enrich_article
from worker.errors import QuarantineError, TooLargeError
from worker.index.dedup import best_near_duplicate
from worker.index.documents import (
    QuarantineEntry,
    WritePlan,
    article_document,
    plan_write,
    quarantine_document,
)
from worker.index.store import ElasticStore, Write
from worker.pipeline.messages import ArticleEnvelope, SourceItem
from worker.queue.ledger import JobLedger, Outcome
from worker.settings import Settings
from worker.sources.seed_common import RecordError
from worker.sources.seed_files import parse_seed_file

log = structlog.get_logger(__name__)
Dispatch = Callable[[list[ArticleEnvelope]], None]


def batches(items: list[ArticleEnvelope], size: int) -> list[list[ArticleEnvelope]]:
    """Consecutive slices of at most ``size`` items."""
    return [items[i : i + size] for i in range(0, len(items), size)]


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
    envelopes = [
        ArticleEnvelope(job_id=item.job_id, ledger_key=f"{item.key}#{n}", article=article)
        for n, article in enumerate(parsed.articles)
    ]
    return envelopes, parsed.errors


class Stages:
    """The stages bound to their adapters (Elasticsearch store, Redis ledger)."""

    def __init__(self, settings: Settings, store: ElasticStore, ledger: JobLedger) -> None:
        self.settings = settings
        self.store = store
        self.ledger = ledger

    def handle_source(self, item: SourceItem, dispatch: Dispatch) -> int:
        """Parse a source and hand its articles on in batches; bad input is quarantined."""
        try:
            envelopes, errors = parse_source(item, self.settings)
        except QuarantineError as exc:
            self.quarantine_source(item, exc, stage="parse")
            return 0
        error_keys = [f"{item.key}!{n}" for n in range(len(errors))]
        self.ledger.register_articles(
            item.job_id, item.key, [e.ledger_key for e in envelopes] + error_keys
        )
        if errors:
            self.quarantine_records(item, dict(zip(error_keys, errors, strict=True)))
        for batch in batches(envelopes, self.settings.batch_size):
            dispatch(batch)
        return len(envelopes)

    def handle_enrich(self, envelopes: list[ArticleEnvelope], dispatch: Dispatch) -> None:
        """Enrich each article; one that fails is quarantined, the rest go on."""
        enriched: list[ArticleEnvelope] = []
        for envelope in envelopes:
            try:
                article = enrich_article(envelope.article)
            except Exception as exc:
                self.quarantine_articles([envelope], exc, stage="enrich")
                continue
            enriched.append(envelope.model_copy(update={"article": article}))
        if enriched:
            dispatch(enriched)

    def handle_index(self, envelopes: list[ArticleEnvelope]) -> list[ArticleEnvelope]:
        """Write the articles (new, duplicate, edited, near-duplicate); returns those to retry."""
        by_id: dict[str, list[ArticleEnvelope]] = {}
        for envelope in envelopes:
            by_id.setdefault(envelope.article.id, []).append(envelope)
        current = self.store.current(list(by_id))
        plans: dict[str, WritePlan] = {}
        for doc_id, group in by_id.items():
            existing = current.get(doc_id)
            plans[doc_id] = plan_write(
                article_document(group[0].article), existing.source if existing else None
            )
        self._link_near_duplicates([(i, p.document) for i, p in plans.items()
                                    if p.action == "create"])
        writes = [
            Write(doc_id, plan.action, plan.document, current.get(doc_id))
            for doc_id, plan in plans.items() if plan.action != "skip"
        ]
        outcome = self.store.bulk_write(writes)
        done = set(outcome.written) | {i for i, p in plans.items() if p.action == "skip"}
        results: dict[str, dict[str, Outcome]] = {}
        for doc_id in done:
            for n, env in enumerate(by_id[doc_id]):
                # Later copies of the same article in one batch are duplicates of the first.
                results.setdefault(env.job_id, {})[env.ledger_key] = (
                    plans[doc_id].outcome if n == 0 else "duplicate"
                )
        for doc_id, reason in outcome.rejected.items():
            self.quarantine_articles(
                by_id[doc_id], QuarantineError(reason, reason_code="index_rejected"),
                stage="index",
            )
        for job_id, outcomes in results.items():
            self.ledger.record(job_id, outcomes)
        log.info("indexed", written=len(outcome.written), rejected=len(outcome.rejected),
                 retry=len(outcome.retry))
        return [env for doc_id in outcome.retry for env in by_id[doc_id]]

    def _link_near_duplicates(self, new_docs: list[tuple[str, dict[str, Any]]]) -> None:
        """Point each new document at the story it re-publishes (indexed or in this batch)."""
        bands = sorted({b for _, doc in new_docs for b in doc["minhash_bands"]})
        candidates = self.store.near_duplicate_candidates(bands)
        for doc_id, doc in new_docs:
            found = best_near_duplicate(tuple(doc["minhash"]), candidates)
            if found:
                doc["near_duplicate_of"], doc["story_id"] = found[0], found[1]
                doc["near_duplicate_similarity"] = round(found[2], 3)
            else:
                doc["story_id"] = doc_id
            if doc["minhash_bands"]:
                candidates.append({"id": doc_id, "story_id": doc["story_id"],
                                   "minhash": doc["minhash"]})

    def quarantine_source(self, item: SourceItem, exc: BaseException, *, stage: str) -> None:
        """Keep a refused source (with its bytes) and count it as quarantined."""
        entry = _entry(item.key, stage, exc, item.origin)
        entry.raw = item.content() if item.content_b64 is not None else None
        self.store.put_quarantine({entry.doc_id: quarantine_document(entry)})
        self.ledger.source_quarantined(item.job_id, item.key)
        log.warning("quarantined", stage=stage, origin=item.origin.location, reason=str(exc))

    def quarantine_records(self, item: SourceItem, errors: dict[str, RecordError]) -> None:
        """Keep the bad records of a file whose good records go on, each with its reason."""
        documents = {}
        for key, error in errors.items():
            origin = item.origin.model_copy(
                update={"location": _record_location(item.origin.location, error.location)}
            )
            entry = _entry(key, "parse", error.to_exception(), origin)
            entry.raw = error.raw
            documents[entry.doc_id] = quarantine_document(entry)
        self.store.put_quarantine(documents)
        self.ledger.record(item.job_id, dict.fromkeys(errors, "quarantined"))
        log.warning("quarantined records", origin=item.origin.location, count=len(errors))

    def quarantine_articles(
        self, envelopes: list[ArticleEnvelope], exc: BaseException, *, stage: str
    ) -> None:
        """Keep refused articles (whole records) and count them as quarantined."""
        documents = {}
        for env in envelopes:
            entry = _entry(env.ledger_key, stage, exc, env.article.origin)
            entry.record = env.article.model_dump(mode="json")
            documents[entry.doc_id] = quarantine_document(entry)
        self.store.put_quarantine(documents)
        for env in envelopes:
            self.ledger.record(env.job_id, {env.ledger_key: "quarantined"})
            log.warning("quarantined", stage=stage, origin=env.article.origin.location,
                        reason=str(exc))


def _record_location(file_location: str, record_location: str) -> str:
    """'/seeds/a.jsonl' + 'a.jsonl:7' -> '/seeds/a.jsonl:7' (records name their file)."""
    name = file_location.rsplit("/", 1)[-1]
    if record_location.startswith(name):
        return file_location + record_location[len(name):]
    return f"{file_location}#{record_location}"


def _entry(item_key: str, stage: str, exc: BaseException, origin: object) -> QuarantineEntry:
    code = exc.reason_code if isinstance(exc, QuarantineError) else "internal_error"
    return QuarantineEntry.model_validate(
        {
            "item_key": item_key, "stage": stage, "reason": str(exc) or type(exc).__name__,
            "reason_code": code, "error_class": type(exc).__name__, "origin": origin,
        }
    )
