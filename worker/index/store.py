"""The Elasticsearch adapter: templates, bulk writes checked per item, search and stats."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from elasticsearch import ApiError, Elasticsearch, TransportError
from elasticsearch.serializer import OrjsonSerializer

from worker.errors import TransientError
from worker.index.templates import load_template
from worker.index.writes import BulkOutcome, Current, Write
from worker.settings import Settings

# Per-item bulk statuses worth another try; any other error is a property of the document.
_RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})


@contextmanager
def transient_errors() -> Iterator[None]:
    """Turn connection failures, 429 and 5xx into TransientError (the task is retried)."""
    try:
        yield
    except ApiError as exc:
        if exc.meta.status in _RETRYABLE_STATUSES:
            raise TransientError(f"elasticsearch {exc.meta.status}: {exc.message}") from exc
        raise
    except TransportError as exc:
        raise TransientError(f"elasticsearch unreachable: {exc}") from exc


class ElasticStore:
    """All reads and writes of the articles and quarantine indices."""

    def __init__(self, settings: Settings, client: Elasticsearch | None = None) -> None:
        self.settings = settings
        self.alias = settings.articles_alias
        self.quarantine_index = settings.quarantine_index
        self.client = client or Elasticsearch(
            settings.elasticsearch_url, request_timeout=settings.elasticsearch_timeout_s,
            serializer=OrjsonSerializer(),  # bulk bodies are most of the index stage's CPU
        )

    def ping(self) -> bool:
        """True when the cluster answers a health request."""
        try:
            self.client.cluster.health(timeout="2s")
        except (ApiError, TransportError):
            return False
        return True

    def ensure_indices(self) -> None:
        """Install templates and create the indices; safe to call from every process."""
        with transient_errors():
            cfg = self.settings.config_dir
            self.client.indices.put_index_template(
                name=self.alias, **load_template(cfg, "articles", f"{self.alias}-*")
            )
            self.client.indices.put_index_template(
                name=self.quarantine_index,
                **load_template(cfg, "quarantine", f"{self.quarantine_index}*"),
            )
            if not self.client.indices.exists_alias(name=self.alias):
                self._create_ignoring_race(
                    f"{self.alias}-000001", aliases={self.alias: {"is_write_index": True}}
                )
            if not self.client.indices.exists(index=self.quarantine_index):
                self._create_ignoring_race(self.quarantine_index)

    def _create_ignoring_race(self, index: str, **kwargs: Any) -> None:
        try:
            self.client.indices.create(index=index, **kwargs)
        except ApiError as exc:
            if exc.error != "resource_already_exists_exception":
                raise

    def current(self, ids: list[str]) -> dict[str, Current]:
        """The stored version of each id that exists, with what optimistic locking needs."""
        if not ids:
            return {}
        with transient_errors():
            response = self.client.mget(index=self.alias, ids=ids)
        return {
            d["_id"]: Current(d["_source"], d["_seq_no"], d["_primary_term"], d["_index"])
            for d in response["docs"] if d.get("found")
        }

    def near_duplicate_candidates(self, bands: list[str], size: int = 20) -> list[dict[str, Any]]:
        """Documents sharing at least one MinHash band with the given ones."""
        if not bands:
            return []
        with transient_errors():
            response = self.client.search(
                index=self.alias, size=size, query={"terms": {"minhash_bands": bands}},
                source_includes=["story_id", "minhash"],
            )
        return [{"id": h["_id"], **h["_source"]} for h in response["hits"]["hits"]]

    def bulk_write(self, writes: list[Write]) -> BulkOutcome:
        """Create or replace documents (replace guarded by seq_no); results checked per item."""
        outcome = BulkOutcome()
        if not writes:
            return outcome
        operations: list[dict[str, Any]] = []
        for w in writes:
            meta: dict[str, Any] = {"_index": self.alias, "_id": w.doc_id}
            if w.action == "index" and w.current is not None:
                meta |= {"if_seq_no": w.current.seq_no, "if_primary_term": w.current.primary_term}
            if w.current is not None:
                meta["_index"] = w.current.index  # replace where it lives, not via the alias
            operations += [{w.action: meta}, w.document]
        with transient_errors():
            response = self.client.bulk(operations=operations)
        for item in response["items"]:
            result = next(iter(item.values()))
            doc_id, status = result["_id"], result["status"]
            if status in (200, 201):
                outcome.written.append(doc_id)
            elif status == 409:
                # Someone wrote the id since we read it: plan again on the next try.
                outcome.retry[doc_id] = "conflict: written concurrently"
            else:
                error = result.get("error", {})
                reason = f"{error.get('type', status)}: {error.get('reason', '')}"
                target = outcome.retry if status in _RETRYABLE_STATUSES else outcome.rejected
                target[doc_id] = reason
        return outcome

    def put_quarantine(self, documents: dict[str, dict[str, Any]]) -> None:
        """Write quarantine entries; every item must succeed or the call raises."""
        operations: list[dict[str, Any]] = []
        for doc_id, doc in documents.items():
            operations += [{"index": {"_index": self.quarantine_index, "_id": doc_id}}, doc]
        if not operations:
            return
        with transient_errors():
            response = self.client.bulk(operations=operations)
        failures = [i["index"] for i in response["items"] if i["index"]["status"] >= 300]
        if failures:
            raise TransientError(f"quarantine write failed for {len(failures)} entries")

    def refresh(self) -> None:
        """Make everything written so far searchable (tests and --wait)."""
        with transient_errors():
            self.client.indices.refresh(index=[self.alias, self.quarantine_index])

    def search(self, body: dict[str, Any]) -> dict[str, Any]:
        """Run a search against the articles alias."""
        with transient_errors():
            return dict(self.client.search(index=self.alias, **body))

    def quarantined(self, *, job_id: str | None = None, size: int = 50) -> list[dict[str, Any]]:
        """Quarantine entries, newest first, without the raw bytes."""
        query: dict[str, Any] = {"term": {"job_id": job_id}} if job_id else {"match_all": {}}
        with transient_errors():
            response = self.client.search(
                index=self.quarantine_index, query=query, size=size,
                sort=[{"quarantined_at": "desc"}], source_excludes=["raw_base64"],
            )
        return [hit["_source"] for hit in response["hits"]["hits"]]

    def count(self, index: str | None = None) -> int:
        """Number of documents in the articles alias (or another index)."""
        with transient_errors():
            return int(self.client.count(index=index or self.alias)["count"])

    def get_many(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        """Documents by id (missing ids are left out)."""
        return {doc_id: doc.source for doc_id, doc in self.current(ids).items()}

    def aggregate(self, aggregations: dict[str, Any]) -> dict[str, Any]:
        """Run aggregations over all articles; returns the raw response."""
        with transient_errors():
            return dict(self.client.search(index=self.alias, size=0, aggs=aggregations))

    def scan(self, query: dict[str, Any], page: int = 200) -> Iterator[tuple[str, dict[str, Any]]]:
        """Every matching article (id, source), page by page with a scroll."""
        with transient_errors():
            response = self.client.search(index=self.alias, query=query, size=page, scroll="2m")
        scroll_id = response.get("_scroll_id")
        try:
            while response["hits"]["hits"]:
                for hit in response["hits"]["hits"]:
                    yield hit["_id"], hit["_source"]
                with transient_errors():
                    response = self.client.scroll(scroll_id=scroll_id, scroll="2m")
                scroll_id = response.get("_scroll_id")
        finally:
            if scroll_id:
                self.client.clear_scroll(scroll_id=scroll_id)
