"""The near-duplicate lookup against a real node: one search per batch for stored documents
sharing the band quorum with a new one, and the fallback to one search per document when
texts common to many stored documents would crowd out the copy."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.integration.conftest import Stack
from worker.index.dedup import band_quorum, fingerprint
from worker.index.store import LOOKUP_DOCUMENTS_PER_SEARCH, ElasticStore
from worker.settings import Settings

pytestmark = pytest.mark.integration


def _store(stack: Stack) -> ElasticStore:
    name = f"nd-{uuid.uuid4().hex[:8]}"
    settings = Settings(_env_file=None, elasticsearch_url=stack.es_url(),  # type: ignore[call-arg]
                        articles_alias=name, quarantine_index=f"q{name}")
    store = ElasticStore(settings)
    store.ensure_indices()
    return store


def _put(store: ElasticStore, docs: dict[str, dict[str, Any]]) -> None:
    operations: list[dict[str, Any]] = []
    for doc_id, doc in docs.items():
        operations += [{"index": {"_index": store.alias, "_id": doc_id}}, doc]
    assert not store.client.bulk(operations=operations, refresh=True)["errors"]


def _doc(doc_id: str, bands: list[str]) -> dict[str, Any]:
    return {"id": doc_id, "title": doc_id, "body": "", "story_id": doc_id,
            "minhash": list(range(64)), "minhash_bands": bands}


def test_one_search_finds_every_stored_document_sharing_the_quorum(stack: Stack) -> None:
    store = _store(stack)
    assert band_quorum() == 4
    first = [f"a{n}" for n in range(16)]
    second = [f"b{n}" for n in range(16)]
    _put(store, {"copy": _doc("copy", [*first[:4], "x1"]), "other": _doc("other", second[3:9]),
                 "phrases": _doc("phrases", first[5:8] + second[:1]),  # 3 of one, 1 of other
                 "unrelated": _doc("unrelated", ["zz"])})
    found = store.near_duplicate_candidates([first, second])
    assert sorted(c["id"] for c in found) == ["copy", "other"]
    assert {c["id"]: c["minhash_bands"] for c in found}["copy"] == [*first[:4], "x1"]


def test_a_text_common_to_many_stored_documents_does_not_crowd_out_the_copy(
        stack: Stack) -> None:
    store = _store(stack)
    common = [f"common{n}" for n in range(4)]
    crowd = {f"boiler-{n}": _doc(f"boiler-{n}", common) for n in range(30)}
    _put(store, crowd | {"copy": _doc("copy", [*common, "c1", "c2", "c3"])})
    # Two candidates per document: one batch search would return 2 of 31 documents sharing
    # the quorum, most likely boilerplate; per document, the copy shares the most bands.
    found = store.near_duplicate_candidates([[*common, "c1", "c2", "c3"]], size=2)
    assert "copy" in {c["id"] for c in found}
    assert len(found) == 2


def test_a_batch_larger_than_one_search_is_looked_up_whole(stack: Stack) -> None:
    store = _store(stack)
    n = LOOKUP_DOCUMENTS_PER_SEARCH + 3
    band_sets = [[f"d{k}-{b}" for b in range(16)] for k in range(n)]
    _put(store, {f"copy-{k}": _doc(f"copy-{k}", bands[:5]) for k, bands in
                 enumerate(band_sets) if k in (0, n - 1)})
    found = store.near_duplicate_candidates(band_sets)
    assert sorted(c["id"] for c in found) == ["copy-0", f"copy-{n - 1}"]


def test_signatures_come_from_the_bands_and_older_schemes_from_the_document(
        stack: Stack) -> None:
    """Candidates are read from doc values: a band of this scheme spells out its rows, so no
    stored document is opened; bands of an older scheme still find their document's own
    signature (read from the document)."""
    store = _store(stack)
    prints = fingerprint("Banjir di Jakarta", " ".join(f"kata{n} lain{n}" for n in range(60)))
    current = {**_doc("current", list(prints.bands)), "minhash": [7] * 64}
    _put(store, {"current": current, "older": _doc("older", ["m3:0:0123456789abcdef"])})
    found = {c["id"]: c for c in store.near_duplicate_candidates(
        [list(prints.bands[:2]), ["m3:0:0123456789abcdef"]])}
    assert tuple(found["current"]["minhash"]) == prints.minhash  # not the stored [7] * 64
    assert found["older"]["minhash"] == list(range(64))
