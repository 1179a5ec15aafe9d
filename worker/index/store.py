"""The Elasticsearch adapter: templates, bulk writes checked per item, search and stats.

The articles alias may point at several indices while `index migrate` copies one version into
the next: reads then see every index (the write index's copy of an id wins), and writes go
to the write index only (see ``bulk_write``).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson
from elasticsearch import ApiError, Elasticsearch, NotFoundError, TransportError
from elasticsearch.serializer import NdjsonSerializer, OrjsonSerializer

from worker.errors import TransientError
from worker.index.connection import elasticsearch_client
from worker.index.dedup import band_quorum, signature_of_bands
from worker.index.templates import load_template
from worker.index.writes import (
    AliasView,
    BulkOutcome,
    Current,
    Write,
    bulk_chunks,
    bulk_error_reason,
    changed_since_read,
    newest_copies,
    planned_from_older,
)
from worker.settings import Settings

# Per-item bulk statuses worth another try; any other error is a property of the document.
_RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
# A quarantine bulk refused with 429/5xx is tried this often before the task retries.
QUARANTINE_CHUNK_TRIES = 4
QUARANTINE_RETRY_PAUSE_S = 0.5
# Per-item errors a migration causes for an instant: the next try reads the alias again.
_MIGRATION_ERRORS = {
    "cluster_block_exception": "index write-blocked: a migration is switching indices",
    "index_not_found_exception": "index gone: a migration finished",
}


# What a near-duplicate lookup reads of each stored document: doc values only (a band spells
# out its rows, so the bands are the signature), never a stored-fields block, which
# best_compression must inflate for every hit. And how many documents one search for a
# whole batch may return before it falls back to one search per document.
CANDIDATE_FIELDS = ("id", "story_id", "minhash_bands")
CANDIDATE_REQUEST: dict[str, Any] = {"_source": False, "stored_fields": "_none_",
                                     "docvalue_fields": list(CANDIDATE_FIELDS)}
BATCH_CANDIDATES_MAX = 2_000
# New documents per lookup search: each brings one clause per band, and Elasticsearch caps
# the clauses of a query (8,192 on a 512 MB heap with 4 search threads).
LOOKUP_DOCUMENTS_PER_SEARCH = 128


def _quorum_query(bands: list[str]) -> dict[str, Any]:
    """Documents sharing ``band_quorum()`` of ``bands`` (all of them, when there are fewer:
    bands of an older scheme, looked up one by one)."""
    return {"bool": {"should": [{"term": {"minhash_bands": band}} for band in bands],
                     "minimum_should_match": min(band_quorum(), len(bands))}}


def _distinct_candidates(hits: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One candidate per id (during a migration an id may be found in two indices), with its
    signature read off its bands (None for bands of an older scheme)."""
    found: dict[str, dict[str, Any]] = {}
    for hit in hits:
        fields = hit.get("fields") or {}
        ids = fields.get("id") or []
        if not ids or ids[0] in found:
            continue
        bands = list(fields.get("minhash_bands") or [])
        found[ids[0]] = {"id": ids[0], "story_id": (fields.get("story_id") or [None])[0],
                         "minhash_bands": bands, "minhash": signature_of_bands(bands)}
    return list(found.values())


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


class OrjsonNdjsonSerializer(NdjsonSerializer):
    """Bulk and msearch bodies through orjson. The client's own NDJSON serializer uses the
    json module even when JSON bodies use orjson, and a bulk body is most of the index
    stage's CPU: encoding it with json took a tenth of the stage's time."""

    def json_dumps(self, data: Any) -> bytes:
        return orjson.dumps(data, default=self.default)

    def json_loads(self, data: bytes) -> Any:
        return orjson.loads(data)


class ElasticStore:
    """All reads and writes of the articles and quarantine indices."""

    def __init__(self, settings: Settings, client: Elasticsearch | None = None) -> None:
        self.settings = settings
        self.alias = settings.articles_alias
        self.quarantine_index = settings.quarantine_index
        self.client = client or elasticsearch_client(
            settings, serializers={OrjsonSerializer.mimetype: OrjsonSerializer(),
                                   NdjsonSerializer.mimetype: OrjsonNdjsonSerializer()},
        )

    def ping(self) -> bool:
        """True when the cluster answers a health request."""
        try:
            self.client.cluster.health(timeout="2s")
        except (ApiError, TransportError):
            return False
        return True

    def ensure_indices(self) -> None:
        """Install templates and create the indices; safe to call from every process.

        An existing alias is left as it is, whichever index writes and however many it holds.
        """
        with transient_errors():
            self.put_templates()
            if not self.client.indices.exists_alias(name=self.alias):
                self._create_ignoring_race(
                    f"{self.alias}-000001", aliases={self.alias: {"is_write_index": True}},
                    mappings=self.version_mapping(),
                )
            if not self.client.indices.exists(index=self.quarantine_index):
                self._create_ignoring_race(self.quarantine_index)
            else:  # made by an older version: add the fields its mapping lacks
                self.put_quarantine_mapping()

    def articles_template(self) -> dict[str, Any]:
        """The articles template as configured now, for ``{alias}-*``.

        Auto-creation is forbidden: a write that reaches a version a migration has just deleted
        must fail (and be retried through the alias), not resurrect it outside the alias.
        """
        body = load_template(self.settings.config_dir, "articles", f"{self.alias}-*")
        return {**body, "allow_auto_create": False}

    def put_templates(self) -> None:
        """Install the articles and quarantine templates from the config folder."""
        self.client.indices.put_index_template(name=self.alias, **self.articles_template())
        self.client.indices.put_index_template(
            name=self.quarantine_index,
            **load_template(self.settings.config_dir, "quarantine", f"{self.quarantine_index}*"),
        )

    def version_mapping(self) -> dict[str, Any]:
        """Mapping added to each new version: the template's schema version, for `index status`
        (an index does not keep the ``_meta`` of the template it was made from)."""
        template = self.articles_template()
        meta = template.get("template", {}).get("mappings", {}).get("_meta", {})
        return {"_meta": {**meta, "schema_version": template.get("_meta", {}).get(
            "schema_version")}}

    def _create_ignoring_race(self, index: str, **kwargs: Any) -> None:
        try:
            self.client.indices.create(index=index, **kwargs)
        except ApiError as exc:
            if exc.error != "resource_already_exists_exception":
                raise

    def alias_view(self) -> AliasView:
        """The alias's indices and write index, read now: a migration can start at any time."""
        with transient_errors():
            try:
                response = self.client.indices.get_alias(name=self.alias)
            except NotFoundError:
                return AliasView()
        return AliasView.from_get_alias(dict(response), self.alias)

    def current(self, ids: list[str]) -> dict[str, Current]:
        """The stored version of each id that exists, with what optimistic locking needs.

        One mget over every index of the alias (an mget on an alias of several indices fails
        per document). Real-time, unlike a search: a write not yet refreshed in the old index
        must be seen, or a write planned from "absent" would hide it from the migration's copy.
        """
        if not ids:
            return {}
        view = self.alias_view()
        if not view.indices:
            return {}
        return newest_copies(self._mget(view.indices, ids), view)

    def _mget(self, indices: tuple[str, ...], ids: list[str], *,
              source: bool = True) -> list[dict[str, Any]]:
        docs = [{"_index": index, "_id": doc_id} for index in indices for doc_id in ids]
        with transient_errors():
            return list(self.client.mget(docs=docs, source=source)["docs"])

    def near_duplicate_candidates(self, band_sets: list[list[str]],
                                  size: int = 20) -> list[dict[str, Any]]:
        """Stored documents that share at least ``band_quorum()`` bands with a new document.

        A document sharing fewer can never reach the near-duplicate threshold, so it is not
        fetched: texts that merely share some phrases (boilerplate, quotes) stay out of the
        lookup however large the index grows. One search per batch (a batch larger than
        ``LOOKUP_DOCUMENTS_PER_SEARCH`` is split over an msearch) returns every such document
        while they are few, the usual case (a batch's own re-publications). When more match
        than that returns, one search per document in one msearch, each its ``size``
        documents sharing most bands: one document's candidates (a story syndicated a hundred
        times) must not crowd out another's.
        """
        band_sets = [b for b in band_sets if b]
        if not band_sets:
            return []
        chunks = [band_sets[n : n + LOOKUP_DOCUMENTS_PER_SEARCH]
                  for n in range(0, len(band_sets), LOOKUP_DOCUMENTS_PER_SEARCH)]
        limits = [min(size * len(chunk), BATCH_CANDIDATES_MAX) for chunk in chunks]
        searches: list[dict[str, Any]] = []
        for chunk, limit in zip(chunks, limits, strict=True):
            # A filter: every match is taken, so scoring buys nothing (it doubled the
            # search's cost); one hit past the limit says "too many".
            searches += [{"index": self.alias}, {
                "size": limit + 1, "track_total_hits": False, **CANDIDATE_REQUEST,
                "query": {"bool": {"filter": {"bool": {
                    "should": [_quorum_query(bands) for bands in chunk],
                    "minimum_should_match": 1}}}},
            }]
        hits: list[dict[str, Any]] = []
        for response, limit in zip(self._msearch(searches), limits, strict=True):
            if len(response) > limit:
                return self._candidates_per_document(band_sets, size)
            hits += response
        return self._with_signatures(_distinct_candidates(hits))

    def _msearch(self, searches: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
        """The hits of each search; none before the first article (no index yet)."""
        with transient_errors():
            responses = self.client.msearch(searches=searches)["responses"]
        out: list[list[dict[str, Any]]] = []
        for response in responses:
            error = response.get("error")
            if error is not None:
                if error.get("type") == "index_not_found_exception":
                    out.append([])
                    continue
                raise TransientError(f"near-duplicate lookup failed: {error}")
            out.append(response["hits"]["hits"])
        return out

    def _with_signatures(self, candidates: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Signatures the bands do not spell out (documents of an older band scheme, which
        only a band of that scheme finds) read from the stored documents."""
        unread = [c["id"] for c in candidates if c["minhash"] is None]
        if unread:
            stored = self.current(unread)
            for candidate in candidates:
                if candidate["minhash"] is None and candidate["id"] in stored:
                    candidate["minhash"] = stored[candidate["id"]].source.get("minhash")
        return candidates

    def _candidates_per_document(self, band_sets: list[list[str]],
                                 size: int = 20) -> list[dict[str, Any]]:
        searches: list[dict[str, Any]] = []
        for bands in band_sets:
            searches += [{"index": self.alias},
                         {"size": size, **CANDIDATE_REQUEST, "query": _quorum_query(bands)}]
        hits = [hit for response in self._msearch(searches) for hit in response]
        return self._with_signatures(_distinct_candidates(hits))

    def bulk_write(self, writes: list[Write]) -> BulkOutcome:
        """Create or replace documents in the write index; results checked per item.

        A replace is guarded by seq_no and happens only where the alias writes now; a document
        read from an older index is created in the write index instead, after checking that
        the older index still holds what was read (``changed_since_read``).
        """
        outcome = BulkOutcome()
        if not writes:
            return outcome
        view = self.alias_view()
        if view.write_index is None:
            raise TransientError(f"alias {self.alias} has no write index")
        if view.older:
            checked = planned_from_older(writes, view.write_index)
            older_docs = self._mget(view.older, [w.doc_id for w in checked], source=False)
            outcome.retry |= changed_since_read(checked, older_docs, view)
        operations: list[dict[str, Any]] = []
        for w in writes:
            if w.doc_id not in outcome.retry:
                operations += [w.operation(view.write_index), w.document]
        if not operations:
            return outcome
        with transient_errors():
            response = self.client.bulk(operations=operations)
        for item in response["items"]:
            result = next(iter(item.values()))
            doc_id, status = result["_id"], result["status"]
            error = result.get("error", {})
            if status in (200, 201):
                outcome.written.append(doc_id)
            elif status == 409:
                # Someone wrote the id since we read it: plan again on the next try.
                outcome.retry[doc_id] = "conflict: written concurrently"
            elif error.get("type") in _MIGRATION_ERRORS:
                outcome.retry[doc_id] = _MIGRATION_ERRORS[error["type"]]
            else:
                reason = bulk_error_reason(error, status)
                target = outcome.retry if status in _RETRYABLE_STATUSES else outcome.rejected
                target[doc_id] = reason
        return outcome

    def put_quarantine(self, documents: dict[str, dict[str, Any]]) -> None:
        """Write quarantine entries in bounded bulks (``bulk_chunks``); every entry must be
        written or the call raises TransientError (the task retries; entry ids are
        deterministic, so a retry writes nothing twice)."""
        for chunk in bulk_chunks(documents):
            self._put_quarantine_chunk(chunk)

    def _put_quarantine_chunk(self, chunk: dict[str, dict[str, Any]]) -> None:
        """One bulk; entries refused with 429/5xx are sent again a few times, pausing longer
        each time, so a busy node costs one chunk's retries, not the whole write's."""
        pending, last = chunk, ""
        for attempt in range(QUARANTINE_CHUNK_TRIES):
            if attempt:
                time.sleep(QUARANTINE_RETRY_PAUSE_S * 2 ** (attempt - 1))
            operations: list[dict[str, Any]] = []
            for doc_id, doc in pending.items():
                operations += [{"index": {"_index": self.quarantine_index, "_id": doc_id}}, doc]
            try:
                with transient_errors():
                    response = self.client.bulk(operations=operations)
            except TransientError as exc:
                if not (isinstance(exc.__cause__, ApiError) and exc.__cause__.meta.status == 429):
                    raise
                last = str(exc)
                continue
            failed = {i["index"]["_id"]: i["index"] for i in response["items"]
                      if i["index"]["status"] >= 300}
            if not failed:
                return
            refused = [f for f in failed.values() if f["status"] not in _RETRYABLE_STATUSES]
            if refused:
                raise TransientError(f"quarantine write failed for {len(refused)} entries: "
                                     f"{refused[0].get('error')}")
            pending = {doc_id: pending[doc_id] for doc_id in failed}
            status = next(iter(failed.values()))["status"]
            last = f"elasticsearch {status} for {len(failed)} quarantine entries"
        raise TransientError(f"{last} (after {QUARANTINE_CHUNK_TRIES} tries)")

    def refresh(self) -> None:
        """Make everything written so far searchable (tests and --wait)."""
        with transient_errors():
            self.client.indices.refresh(index=[self.alias, self.quarantine_index])

    def search(self, body: dict[str, Any]) -> dict[str, Any]:
        """Run a search against the articles alias; before the first article there is none,
        and that is an empty result, not an error."""
        with transient_errors():
            try:
                return dict(self.client.search(index=self.alias, **body))
            except NotFoundError:
                return {"took": 0, "hits": {"total": {"value": 0}, "hits": []},
                        "aggregations": {}}

    def quarantined(self, *, job_id: str | None = None, stage: str | None = None,
                    size: int = 50) -> list[dict[str, Any]]:
        """Quarantine entries, newest first, without the raw bytes (of one job, one stage)."""
        terms = [{"term": {field: value}} for field, value in
                 (("job_id", job_id), ("stage", stage)) if value]
        query: dict[str, Any] = {"bool": {"filter": terms}} if terms else {"match_all": {}}
        with transient_errors():
            try:
                response = self.client.search(
                    index=self.quarantine_index, query=query, size=size,
                    sort=[{"quarantined_at": "desc"}], source_excludes=["raw_base64"],
                )
            except NotFoundError:
                return []  # nothing was ever quarantined: the index is made on first use
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
        """Every matching article (id, source) once; during a migration the write index's copy.

        An older index's copy of an id the write index also holds is an earlier version.
        """
        view = self.alias_view()
        if not view.older or view.write_index is None:
            yield from self._scroll(self.alias, query, page)
            return
        seen: set[str] = set()
        for index in (view.write_index, *reversed(view.older)):
            for doc_id, source in self._scroll(index, query, page):
                if doc_id not in seen:
                    seen.add(doc_id)
                    yield doc_id, source

    def _scroll(self, index: str, query: dict[str, Any],
                page: int) -> Iterator[tuple[str, dict[str, Any]]]:
        with transient_errors():
            response = self.client.search(index=index, query=query, size=page, scroll="2m")
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

    def put_quarantine_mapping(self) -> None:
        """Add the template's fields to an existing quarantine index (strict: an entry with a
        field its mapping lacks is refused); adding fields is all a mapping update may do."""
        template = load_template(self.settings.config_dir, "quarantine",
                                 f"{self.quarantine_index}*")
        with transient_errors():
            self.client.indices.put_mapping(
                index=self.quarantine_index,
                properties=template["template"]["mappings"]["properties"],
            )

    def quarantine_entries(
        self, *, stage: str | None = None, reason_code: str | None = None,
        job_id: str | None = None, ids: list[str] | None = None, replayed: bool | None = None,
        size: int = 50, with_raw: bool = False,
    ) -> list[dict[str, Any]]:
        """Entries matching every filter given, newest first, each with its ``id``; the raw
        bytes only when asked (a page of them can be large)."""
        filters: list[dict[str, Any]] = [
            {"term": {field: value}} for field, value in
            (("stage", stage), ("reason_code", reason_code), ("job_id", job_id)) if value]
        if ids:
            filters.append({"ids": {"values": list(ids)}})
        replay_mark = {"exists": {"field": "replayed_at"}}
        query: dict[str, Any] = {"bool": {"filter": filters}}
        if replayed is True:
            filters.append(replay_mark)
        elif replayed is False:
            query["bool"]["must_not"] = [replay_mark]
        with transient_errors():
            try:
                response = self.client.search(
                    index=self.quarantine_index, query=query, size=size,
                    sort=[{"quarantined_at": "desc"}],
                    source_excludes=[] if with_raw else ["raw_base64"],
                )
            except NotFoundError:
                return []
        return [{"id": hit["_id"], **hit["_source"]} for hit in response["hits"]["hits"]]

    def quarantine_entry(self, entry_id: str) -> dict[str, Any] | None:
        """One entry with everything it keeps (raw bytes too), or None."""
        with transient_errors():
            try:
                found = self.client.get(index=self.quarantine_index, id=entry_id)
            except NotFoundError:
                return None
        return {"id": found["_id"], **found["_source"]}

    def mark_replayed(self, replays: dict[str, int], job_id: str, at: str) -> list[str]:
        """Note on each entry (id -> its replays so far, this one counted) that job ``job_id``
        replayed it at ``at`` (ISO time); visible to the next search. Partial documents, not
        scripts: a node may run without painless. Returns the ids that could not be marked."""
        if not replays:
            return []
        operations: list[dict[str, Any]] = []
        for entry_id, count in replays.items():
            operations += [{"update": {"_index": self.quarantine_index, "_id": entry_id}},
                           {"doc": {"replayed_at": at, "replay_job": job_id, "replays": count}}]
        with transient_errors():
            response = self.client.bulk(operations=operations, refresh=True)
        return [i["update"]["_id"] for i in response["items"] if i["update"]["status"] >= 300]
