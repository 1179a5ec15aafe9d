"""End to end through the private stack, and its indexing stage against raw bulk indexing.

End to end: the corpus as seed files (the sample as itself, the rest JSONL), queued as one
job the way `ingest` queues it; the clock runs from the first enqueue until the ledger says
the job is done and a refresh made every document searchable. The run fails if the index
does not hold exactly the corpus's ids or the job counts a duplicate or a quarantined item.
Per-article latency is the document's ``indexed_at`` (set by the index worker when it builds
the document, just before its bulk write) minus the time its seed file was queued.

Indexing: the same enriched records, as the same documents, written (a) straight into a
scratch index made from the articles template with the client's bulk helper (its default
chunk of 500), and (b) through the real index worker: batches of the workers' batch size
sent onto the index queue, timed from the first send until the ledger has an outcome for
every article and a refresh made them searchable.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from elasticsearch import Elasticsearch, helpers

from bench.corpus import Corpus, generated_record
from bench.procs import percentile
from bench.stack import PrivateStack
from bench.worker_api import Article, StackClient, articles_template

# Completion is polled with one cheap ledger call (items with an outcome); a coarse poll would
# add up to its interval to a run of two seconds (the indexing comparison).
E2E_POLL_S = 0.05
INDEXING_POLL_S = 0.01
RAW_INDEX_PREFIX = "bench-raw-bulk"
ARTICLES_ALIAS = "news-articles"  # what the stack's workers write (no NEWSWORKER_ARTICLES_ALIAS)


@dataclass
class EndToEnd:
    """Figures and checks of one end-to-end run."""

    articles: int
    words: int
    seconds: float
    summary: dict[str, Any]
    indexed_count: int
    missing_ids: int
    unexpected_ids: int
    latencies_s: list[float]
    rss: dict[str, dict[str, dict[str, Any]] | None] = field(default_factory=dict)
    cpu_s: dict[str, float] = field(default_factory=dict)  # per service, during the run
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Nothing lost, nothing duplicated, nothing quarantined."""
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready figures."""
        return {
            "ok": self.ok, "problems": self.problems,
            "articles": self.articles, "words": self.words, "seconds": round(self.seconds, 3),
            "words_per_s": round(self.words / self.seconds, 1),
            "articles_per_s": round(self.articles / self.seconds, 2),
            "latency_p50_s": _rounded(percentile(self.latencies_s, 0.50)),
            "latency_p95_s": _rounded(percentile(self.latencies_s, 0.95)),
            "latency_max_s": _rounded(max(self.latencies_s, default=None)),
            "sent": self.articles,
            "submitted": self.summary.get("submitted"),
            "indexed": self.summary.get("indexed"),
            "updated": self.summary.get("updated"),
            "duplicates": self.summary.get("duplicates"),
            "quarantined": self.summary.get("quarantined"),
            "indexed_count": self.indexed_count,
            "missing_ids": self.missing_ids, "unexpected_ids": self.unexpected_ids,
            # Where the machine's time went: CPU seconds per service, and the share of the
            # run the NLP pool was busy (the rest it waited for work).
            "cpu_seconds": self.cpu_s,
            "nlp_pool_busy_share": (round(self.cpu_s["worker-nlp/pool"] / self.seconds, 3)
                                    if "worker-nlp/pool" in self.cpu_s else None),
        }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _wait_job(client: StackClient, job_id: str, expected: int, timeout_s: float,
              on_progress: Callable[[int], None] = lambda _done: None,
              poll_s: float = E2E_POLL_S) -> tuple[dict[str, Any], float]:
    """Poll the ledger until every item of the job has an outcome (or the timeout).

    Returns the job's summary and the time (``time.time()``) the last outcome was first seen.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        finished = client.outcome_count(job_id)
        on_progress(finished)
        if finished >= expected:
            seen = time.time()
            summary = client.summary(job_id)
            # An ingest job is done when every registered article has an outcome; a job sent
            # straight to the index queue registers nothing, so also wait for all outcomes.
            if summary["done"]:
                return summary, seen
        if time.monotonic() > deadline:
            raise TimeoutError(f"job {job_id}: {finished}/{expected} done after {timeout_s:.0f} s")
        time.sleep(poll_s)


def _scan(es: Elasticsearch, index: str, fields: list[str]) -> Iterator[dict[str, Any]]:
    yield from helpers.scan(es, index=index, query={"query": {"match_all": {}}},
                            source_includes=fields, size=1000)


def warm_stack(client: StackClient, es: Elasticsearch, folder: Path, seed: int) -> None:
    """Load the workers' models with a few articles of every language, then drop them."""
    records: dict[str, dict[str, Any]] = {}
    index = 1
    while len(records) < 3:
        language, record = generated_record(index, seed + 1_000_003)
        records.setdefault(language, record)
        index += 1
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "warm-up.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n"
                            for r in records.values()), encoding="utf-8")
    job_id, _ = client.ingest_files([path])
    _wait_job(client, job_id, len(records), timeout_s=300)
    fresh_articles_index(es)


def warm_elasticsearch(es: Elasticsearch, enriched: list[Article],
                       documents: list[dict[str, Any]], rounds: int = 2) -> float:
    """Bulk the documents into a scratch index and drop it, ``rounds`` times: a new JVM
    spends its first minute compiling (12 CPU-seconds of C2 during a cold end-to-end run of
    1,000 articles), which a node that has been up for a while no longer pays. Seconds taken."""
    start = time.monotonic()
    for _ in range(rounds):
        _raw_bulk(es, enriched, documents)
    return time.monotonic() - start


def run_end_to_end(stack: PrivateStack, client: StackClient, es: Elasticsearch, corpus: Corpus,
                   folder: Path, checkpoints: tuple[int, int], timeout_s: float) -> EndToEnd:
    """Ingest the corpus through the stack; figures, checks and RSS at the checkpoints."""
    ids_by_file = corpus.write_seed_files(folder)
    expected = {a.id for a in corpus.articles}
    rss: dict[str, dict[str, dict[str, Any]] | None] = {str(c): None for c in checkpoints}

    def on_progress(finished: int) -> None:
        for checkpoint in checkpoints:
            if finished >= checkpoint and rss[str(checkpoint)] is None:
                rss[str(checkpoint)] = stack.rss()

    cpu_before = stack.cpu()
    job_id, key_to_file = client.ingest_files(list(ids_by_file))
    summary, _ = _wait_job(client, job_id, len(corpus.articles), timeout_s, on_progress)
    es.indices.refresh(index=ARTICLES_ALIAS)
    seconds = time.time() - min(client.sent_at[key] for key in key_to_file)
    cpu_after = stack.cpu()
    cpu = {name: round(cpu_after[name] - used, 2) for name, used in cpu_before.items()
           if name in cpu_after}

    indexed_count = int(es.count(index=ARTICLES_ALIAS)["count"])
    indexed_at: dict[str, float] = {}
    for hit in _scan(es, ARTICLES_ALIAS, ["indexed_at"]):
        indexed_at[hit["_id"]] = datetime.fromisoformat(hit["_source"]["indexed_at"]).timestamp()
    sent_at_by_id: dict[str, float] = {}
    for key, path in key_to_file.items():
        for article_id in ids_by_file[path]:
            sent_at_by_id[article_id] = client.sent_at[key]
    latencies = sorted(indexed_at[i] - sent_at_by_id[i] for i in expected if i in indexed_at)

    run = EndToEnd(len(corpus.articles), corpus.words, seconds, summary, indexed_count,
                   len(expected - set(indexed_at)), len(set(indexed_at) - expected), latencies,
                   rss, cpu_s=cpu)
    n = len(corpus.articles)
    checks = {
        "indexed (ledger)": (summary["indexed"], n),
        "submitted (ledger)": (summary["submitted"], n),
        "documents in the index": (indexed_count, n),
        "duplicates": (summary["duplicates"], 0),
        "updated": (summary["updated"], 0),
        "quarantined": (summary["quarantined"], 0),
        "corpus ids missing from the index": (run.missing_ids, 0),
        "ids in the index not in the corpus": (run.unexpected_ids, 0),
    }
    run.problems = [f"{what}: {got}, expected {want}"
                    for what, (got, want) in checks.items() if got != want]
    return run


@dataclass
class Indexing:
    """Raw bulk against the pipeline's indexing stage, on the same documents."""

    documents: int
    raw_seconds: float
    raw_chunk_size: int
    stage_seconds: float
    stage_batch_size: int
    raw_count: int
    stage_summary: dict[str, Any]
    stage_count: int
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready figures."""
        return {
            "ok": not self.problems, "problems": self.problems, "documents": self.documents,
            "raw_bulk_seconds": round(self.raw_seconds, 3),
            "raw_bulk_docs_per_s": round(self.documents / self.raw_seconds, 1),
            "raw_bulk_chunk_size": self.raw_chunk_size,
            "stage_seconds": round(self.stage_seconds, 3),
            "stage_docs_per_s": round(self.documents / self.stage_seconds, 1),
            "stage_batch_size": self.stage_batch_size,
            "raw_count": self.raw_count, "stage_count": self.stage_count,
            "stage_indexed": self.stage_summary.get("indexed"),
            "stage_duplicates": self.stage_summary.get("duplicates"),
            "stage_quarantined": self.stage_summary.get("quarantined"),
        }


def fresh_articles_index(es: Elasticsearch) -> None:
    """Drop the stack's articles index and make it again, empty, under the same alias.

    (The dev node has no reindex module, hence no delete-by-query; the template the workers
    installed gives the new index the same settings and mapping.)
    """
    indices = list(es.indices.get_alias(name=ARTICLES_ALIAS))
    es.indices.delete(index=indices)
    es.indices.create(index=f"{ARTICLES_ALIAS}-000001",
                      aliases={ARTICLES_ALIAS: {"is_write_index": True}})


def _raw_bulk(es: Elasticsearch, enriched: list[Article], documents: list[dict[str, Any]],
              chunk_size: int = 500) -> tuple[float, int]:
    """Seconds to bulk the documents into a fresh scratch index and refresh it; its count."""
    raw_index = f"{RAW_INDEX_PREFIX}-000001"
    es.indices.put_index_template(name=RAW_INDEX_PREFIX,
                                  **articles_template(f"{RAW_INDEX_PREFIX}-*"))
    if es.indices.exists(index=raw_index):
        es.indices.delete(index=raw_index)
    es.indices.create(index=raw_index)
    actions = [{"_op_type": "create", "_index": raw_index, "_id": a.id, "_source": doc}
               for a, doc in zip(enriched, documents, strict=True)]
    start = time.monotonic()
    helpers.bulk(es, actions, chunk_size=chunk_size)
    es.indices.refresh(index=raw_index)
    seconds = time.monotonic() - start
    count = int(es.count(index=raw_index)["count"])
    es.indices.delete(index=raw_index)
    return seconds, count


def _index_stage(client: StackClient, es: Elasticsearch, enriched: list[Article],
                 timeout_s: float) -> tuple[float, dict[str, Any], int]:
    """Seconds for the index workers to make the records waiting in their queue searchable;
    the job's summary and the index's count."""
    fresh_articles_index(es)
    job_id = f"bench-index-{uuid.uuid4().hex[:8]}"
    released = client.index_batches(job_id, enriched)
    summary, _ = _wait_job(client, job_id, len(enriched), timeout_s, poll_s=INDEXING_POLL_S)
    es.indices.refresh(index=ARTICLES_ALIAS)
    seconds = time.time() - released
    return seconds, summary, int(es.count(index=ARTICLES_ALIAS)["count"])


def compare_indexing(client: StackClient, es: Elasticsearch, enriched: list[Article],
                     documents: list[dict[str, Any]], timeout_s: float,
                     chunk_size: int = 500, stage_first: bool = False) -> Indexing:
    """Raw bulk of the documents and the index worker on the same records (fresh indices),
    one right after the other; ``stage_first`` swaps their order, so that pairs taken in
    both orders cancel a drift of the machine's speed."""
    if stage_first:
        stage_seconds, summary, stage_count = _index_stage(client, es, enriched, timeout_s)
        raw_seconds, raw_count = _raw_bulk(es, enriched, documents, chunk_size)
    else:
        raw_seconds, raw_count = _raw_bulk(es, enriched, documents, chunk_size)
        stage_seconds, summary, stage_count = _index_stage(client, es, enriched, timeout_s)
    n = len(enriched)
    result = Indexing(n, raw_seconds, chunk_size, stage_seconds, client.batch_size, raw_count,
                      summary, stage_count)
    checks = {"raw bulk count": (raw_count, n), "stage count": (stage_count, n),
              "stage indexed (ledger)": (summary["indexed"], n),
              "stage quarantined": (summary["quarantined"], 0)}
    result.problems = [f"{what}: {got}, expected {want}"
                       for what, (got, want) in checks.items() if got != want]
    return result
