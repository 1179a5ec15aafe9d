"""The bench's one doorway into ``worker``: every worker import (bar the corpus's) is here.

When worker modules move, re-point the imports and these few wrappers; the measuring code
only calls the functions below. Importing this module reads no settings and builds no app,
so a bench process can choose its environment first.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import worker.enrich.annotate as annotate_module
from worker.enrich.annotate import Enricher
from worker.enrich.entities import text_chunks
from worker.enrich.pipelines import NlpConfig, language_table, load_pipeline
from worker.index.documents import article_document
from worker.index.layout import load_layout
from worker.index.templates import load_template
from worker.jobs.ledger import JobLedger
from worker.jobs.submit import start_ingest
from worker.pipeline.messages import ArticleEnvelope, SourceItem
from worker.pipeline.stages import with_fingerprint
from worker.queue.batches import BatchStore
from worker.queue.celery_config import make_app
from worker.queue.names import INDEX_QUEUE, NLP_QUEUE, QUEUES
from worker.queue.outbox import CeleryOutbox
from worker.record import Article
from worker.settings import Settings

__all__ = [
    "ENRICH_STEPS",
    "NLP_QUEUE",
    "QUEUES",
    "Article",
    "StackClient",
    "annotate_module",
    "articles_template",
    "batch_size",
    "document_of",
    "ner_languages",
    "ner_pipeline",
    "new_enricher",
    "text_chunks",
]

# Steps of the enrichment stage -> what worker.enrich.annotate calls for them: module-level
# names, or "Class.method" of a class it imports. The stage benchmark wraps each one it finds
# (a name the module no longer has is reported, not an error); the spaCy pipelines
# themselves are timed component by component, so NER = spaCy + "mentions".
ENRICH_STEPS: dict[str, tuple[str, ...]] = {
    "language_id": ("detect_language",),
    "mentions": ("doc_mentions",),
    "gazetteer": ("apply_gazetteer",),
    "normalisation": ("normalise_mentions",),
    "keyphrases": ("KeyphraseCounter.add", "KeyphraseCounter.top"),
    "text_stats": ("text_measures",),
}


def _settings(**overrides: Any) -> Settings:
    return Settings(**overrides)


def new_enricher() -> Enricher:
    """The enrichment stage as a worker process builds it."""
    return Enricher.from_settings(_settings())


def batch_size() -> int:
    """Articles per NLP / index message, as the workers batch them."""
    return int(_settings().batch_size)


def ner_languages() -> list[str]:
    """Languages with a configured NER pipeline."""
    return list(language_table(_settings().config_dir))


def ner_pipeline(language: str) -> Any:
    """The language's spaCy pipeline exactly as enrichment loads it (CPU ops configured)."""
    nlp = load_pipeline(language, NlpConfig.from_settings(_settings()))
    if nlp is None:
        raise ValueError(f"no NER pipeline for {language!r}")
    return nlp


def document_of(enricher: Enricher, article: Article) -> dict[str, Any]:
    """The Elasticsearch document the index stage would write for an enriched article."""
    return article_document(article, enricher.tables, load_layout(_settings().config_dir))


def articles_template(index_pattern: str) -> dict[str, Any]:
    """The articles index template (settings and mapping) for another index pattern."""
    return load_template(_settings().config_dir, "articles", index_pattern)


class StackClient:
    """Submits work to a running stack the way the CLI does, recording when each was sent."""

    def __init__(self, redis_url: str, elasticsearch_url: str) -> None:
        self.settings = _settings(redis_url=redis_url, elasticsearch_url=elasticsearch_url)
        self.ledger = JobLedger.from_url(redis_url)
        self.app = make_app(self.settings)
        self.outbox = CeleryOutbox(self.app, BatchStore.from_url(redis_url))
        self.sent_at: dict[str, float] = {}  # source key or batch key -> time.time()

    @property
    def batch_size(self) -> int:
        """Articles per NLP / index message, as the workers batch them."""
        return int(self.settings.batch_size)

    def ingest_files(self, paths: list[Path]) -> tuple[str, dict[str, Path]]:
        """Queue seed files as one job exactly as `ingest` does (ledger opened first, small
        files parsed together); the job id and each source key's file."""
        recorder = _RecordingOutbox(self.outbox, self.sent_at)
        job_id = start_ingest([str(p) for p in paths], self.settings, self.ledger, recorder, {})
        return job_id, dict(recorder.files)

    def index_batches(self, job_id: str, articles: list[Article]) -> float:
        """Queue enriched articles for the index workers, in the workers' batch size, as the
        NLP stage hands them on (carrying the fingerprints the fetch stage made), while the
        index workers do not consume; then let them. Returns when they were let (time.time()).

        So the index stage is timed from records waiting in its queue, as raw bulk is timed
        from documents waiting in memory: the CPU this process spends making and sending the
        messages (the NLP workers' share, in a real run) stays out of the figure.
        """
        envelopes = [ArticleEnvelope(job_id=job_id, ledger_key=f"{job_id}:bench#{n}",
                                     article=a if a.fingerprint else with_fingerprint(a))
                     for n, a in enumerate(articles)]
        workers = self._index_workers()
        self.app.control.cancel_consumer(INDEX_QUEUE, destination=workers, reply=True)
        try:
            for start in range(0, len(envelopes), self.batch_size):
                self.outbox.index(envelopes[start : start + self.batch_size])
        finally:
            released = time.time()
            self.app.control.add_consumer(INDEX_QUEUE, destination=workers, reply=True)
        self.sent_at[job_id] = released
        return released

    def _index_workers(self) -> list[str]:
        """Names of the running workers that consume the index queue."""
        replies = self.app.control.inspect(timeout=5.0).active_queues() or {}
        names = [name for name, queues in replies.items()
                 if any(q.get("name") == INDEX_QUEUE for q in queues)]
        if not names:
            raise RuntimeError("no worker consumes the index queue")
        return names

    def outcome_count(self, job_id: str) -> int:
        """Items of the job with an outcome (one Redis call)."""
        return self.ledger.outcome_count(job_id)

    def summary(self, job_id: str) -> dict[str, Any]:
        """The job's counts (submitted, indexed, duplicates, quarantined, done, ...)."""
        return dict(self.ledger.summary(job_id).as_dict())

    def close(self) -> None:
        """Release the broker connections."""
        self.app.close()


class _RecordingOutbox:
    """The CLI's outbox, noting when each seed file was queued."""

    def __init__(self, outbox: CeleryOutbox, sent_at: dict[str, float]) -> None:
        self.outbox = outbox
        self.sent_at = sent_at
        self.files: dict[str, Path] = {}

    def parse(self, item: SourceItem) -> None:
        self.parse_group([item])

    def parse_group(self, items: list[SourceItem]) -> None:
        for item in items:
            self.sent_at[item.key] = time.time()
            self.files[item.key] = Path(item.origin.location)
        if items:
            self.outbox.parse_group(items)

    def __getattr__(self, name: str) -> Callable[..., None]:
        return getattr(self.outbox, name)  # type: ignore[no-any-return]
