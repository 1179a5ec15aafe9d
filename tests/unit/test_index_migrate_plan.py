"""The pure parts of `index migrate` and of writing during one: names, plans, resuming,
copy counts, and which stored copy of an id a write is planned from."""

from __future__ import annotations

from typing import Any

import pytest

from worker.errors import TransientError
from worker.index.migrate import (
    CopyCounts,
    IndexInfo,
    MigrationError,
    MigrationReport,
    Observed,
    classify_copy_items,
    counts_from_reindex,
    describe,
    finish_actions,
    index_name,
    needs_derived_fields,
    next_index_name,
    plan_migration,
    reindex_available,
    reindex_copy,
    scroll_copy,
    switch_actions,
    version_of,
)
from worker.index.writes import (
    AliasView,
    Current,
    Write,
    changed_since_read,
    newest_copies,
    planned_from_older,
)

A = "news-articles"
V1, V2, V3 = (index_name(A, n) for n in (1, 2, 3))


def _info(name: str, docs: int = 10, **kwargs: Any) -> IndexInfo:
    return IndexInfo(name, version_of(A, name) or 0, docs, **kwargs)


def _observed(view: AliasView, *infos: IndexInfo) -> Observed:
    return Observed(A, view, infos)


def _doc(index: str, doc_id: str, seq_no: int = 1) -> dict[str, Any]:
    return {"_index": index, "_id": doc_id, "found": True, "_seq_no": seq_no,
            "_primary_term": 1, "_source": {"title": f"{doc_id}@{index}"}}


# --- names ------------------------------------------------------------------------------


def test_version_numbers_are_read_only_from_our_names() -> None:
    assert index_name(A, 2) == "news-articles-000002"
    assert version_of(A, "news-articles-000042") == 42
    assert version_of(A, "news-articles") is None
    assert version_of(A, "news-articles-old") is None
    assert version_of(A, "other-000001") is None


def test_next_version_is_above_every_existing_one_kept_old_ones_too() -> None:
    assert next_index_name(A, []) == V1
    assert next_index_name(A, [V1]) == V2
    assert next_index_name(A, [V1, V3, "news-articles-x"]) == "news-articles-000004"


# --- the alias --------------------------------------------------------------------------


def test_alias_view_finds_the_write_index() -> None:
    flagged = {V1: {"aliases": {A: {"is_write_index": False}}},
               V2: {"aliases": {A: {"is_write_index": True}}}}
    view = AliasView.from_get_alias(flagged, A)
    assert (view.indices, view.write_index, view.older) == ((V1, V2), V2, (V1,))
    # A lone index without the flag takes writes (Elasticsearch's rule); several do not.
    assert AliasView.from_get_alias({V1: {"aliases": {A: {}}}}, A).write_index == V1
    both = AliasView.from_get_alias({V1: {"aliases": {A: {}}}, V2: {"aliases": {A: {}}}}, A)
    assert both.write_index is None


# --- planning and resuming --------------------------------------------------------------


def test_steady_alias_plans_the_next_version() -> None:
    plan = plan_migration(_observed(AliasView((V1,), V1), _info(V1)))
    assert (plan.target, plan.sources, plan.create_target, plan.resumed) == (V2, (V1,), True,
                                                                              False)
    assert switch_actions(plan) == [
        {"add": {"index": V2, "alias": A, "is_write_index": True}},
        {"add": {"index": V1, "alias": A, "is_write_index": False}},
    ]
    assert finish_actions(plan) == [{"remove": {"index": V1, "alias": A}}]


def test_sources_of_an_older_schema_are_copied_by_us_to_gain_the_new_fields() -> None:
    observed = _observed(AliasView((V1,), V1), _info(V1, schema_version=1))
    plan = plan_migration(observed)
    assert needs_derived_fields(observed, plan, 2)
    assert not needs_derived_fields(observed, plan, 1)
    unversioned = _observed(AliasView((V1,), V1), _info(V1))  # written before _meta existed
    assert needs_derived_fields(unversioned, plan_migration(unversioned), 2)


def test_a_kept_old_index_is_not_copied_again_and_its_number_is_not_reused() -> None:
    plan = plan_migration(_observed(AliasView((V2,), V2), _info(V1, write_blocked=True),
                                    _info(V2)))
    assert (plan.target, plan.sources) == (V3, (V2,))


def test_an_alias_with_older_indices_resumes_the_copy_into_its_write_index() -> None:
    plan = plan_migration(_observed(AliasView((V1, V2), V2), _info(V1), _info(V2)))
    assert (plan.target, plan.sources, plan.create_target, plan.resumed) == (V2, (V1,), False,
                                                                              True)
    # Several members and no flag: the newest becomes the write index.
    plan = plan_migration(_observed(AliasView((V1, V2), None), _info(V1), _info(V2)))
    assert (plan.target, plan.sources) == (V2, (V1,))


def test_a_new_index_left_before_the_switch_is_made_again_from_todays_template() -> None:
    observed = _observed(AliasView((V1,), V1), _info(V1, write_blocked=True), _info(V2, 0))
    plan = plan_migration(observed)
    assert (plan.target, plan.sources, plan.recreate_target, plan.resumed) == (V2, (V1,), True,
                                                                                True)
    assert describe(observed).state == "interrupted"


def test_a_new_index_outside_the_alias_with_documents_stops_the_migration() -> None:
    with pytest.raises(MigrationError, match="outside the alias but holds 3 documents"):
        plan_migration(_observed(AliasView((V1,), V1), _info(V1), _info(V2, 3)))


def test_no_alias_no_migration() -> None:
    with pytest.raises(MigrationError, match="does not exist"):
        plan_migration(_observed(AliasView()))


def test_a_blocked_write_index_alone_is_an_interrupted_migration() -> None:
    observed = _observed(AliasView((V1,), V1), _info(V1, write_blocked=True))
    assert describe(observed).state == "interrupted"
    plan = plan_migration(observed)
    assert (plan.target, plan.resumed) == (V2, True)


def test_status_words() -> None:
    assert describe(_observed(AliasView((V1,), V1), _info(V1))).in_progress is False
    copying = describe(_observed(AliasView((V1, V2), V2), _info(V1), _info(V2)))
    assert copying.state == "copying" and copying.in_progress
    assert V1 in copying.detail and V2 in copying.detail


# --- copy counts ------------------------------------------------------------------------


def _item(doc_id: str, status: int, error: str | None = None) -> dict[str, Any]:
    result: dict[str, Any] = {"_id": doc_id, "status": status}
    if error:
        result["error"] = {"type": error, "reason": "why"}
    return {"create": result}


def test_copy_items_copied_skipped_as_newer_retried_or_failed() -> None:
    results = classify_copy_items([
        _item("a", 201), _item("b", 409, "version_conflict_engine_exception"),
        _item("c", 429, "es_rejected_execution_exception"),
        _item("d", 400, "document_parsing_exception"),
    ])
    assert (results.copied, results.skipped_newer, results.retry) == (1, 1, ("c",))
    assert results.failed == {"d": "document_parsing_exception: why"}


def test_a_copy_is_complete_only_when_every_source_document_is_accounted_for() -> None:
    counts = CopyCounts(V1, "scroll", expected=3, copied=2, skipped_newer=1, seconds=0.5)
    assert counts.complete and counts.docs_per_s == 6.0
    assert not CopyCounts(V1, "scroll", expected=4, copied=2, skipped_newer=1).complete
    counts.fail({"x": "mapping"})
    assert not counts.complete and counts.failures == ["x: mapping"]
    counts.fail({str(n): "again" for n in range(20)})
    assert counts.failed == 21 and len(counts.failures) == 10  # the first few reasons only


def test_reindex_task_counts() -> None:
    task = {"completed": True, "response": {
        "took": 1500, "total": 5, "created": 3, "version_conflicts": 1,
        "failures": [{"id": "e", "cause": {"type": "document_parsing_exception",
                                           "reason": "strict"}}],
    }}
    counts = counts_from_reindex(V1, 5, task)
    assert (counts.copied, counts.skipped_newer, counts.failed, counts.seconds) == (3, 1, 1, 1.5)
    assert counts.failures == ["e: document_parsing_exception: strict"]
    assert not counts.complete


def test_reindex_is_used_only_when_every_node_has_the_module() -> None:
    with_module = {"modules": [{"name": "reindex"}, {"name": "x-pack-core"}]}
    maven_node = {"modules": [{"name": "transport-netty4"}, {"name": "x-pack-core"}]}
    assert reindex_available({"nodes": {"a": with_module, "b": with_module}})
    assert not reindex_available({"nodes": {"a": with_module, "b": maven_node}})
    assert not reindex_available({})


class _Tasks:
    def __init__(self) -> None:
        self.polls = 0

    def get(self, task_id: str) -> dict[str, Any]:
        self.polls += 1
        if self.polls < 3:
            return {"completed": False}
        return {"completed": True, "response": {"created": 2, "version_conflicts": 1,
                                                 "took": 10, "failures": []}}


class _Client:
    """Just enough of Elasticsearch for the two copy loops."""

    def __init__(self, docs: dict[str, dict[str, Any]], busy_once: set[str]) -> None:
        self.docs, self.busy_once, self.target, self.sent = docs, busy_once, {"b": {}}, []
        self.tasks = _Tasks()
        self.reindexed: dict[str, Any] = {}

    def reindex(self, **kwargs: Any) -> dict[str, Any]:
        self.reindexed = kwargs
        return {"task": "node:1"}

    def search(self, **_: Any) -> dict[str, Any]:
        hits = [{"_id": k, "_source": v} for k, v in self.docs.items()]
        return {"_scroll_id": "s1", "hits": {"hits": hits}}

    def scroll(self, **_: Any) -> dict[str, Any]:
        return {"_scroll_id": "s1", "hits": {"hits": []}}

    def clear_scroll(self, **_: Any) -> None:
        self.sent.append("cleared")

    def bulk(self, operations: list[dict[str, Any]]) -> dict[str, Any]:
        items = []
        for meta in operations[::2]:
            doc_id = meta["create"]["_id"]
            if doc_id in self.busy_once:
                self.busy_once.discard(doc_id)
                items.append(_item(doc_id, 429, "es_rejected_execution_exception"))
            elif doc_id in self.target:
                items.append(_item(doc_id, 409, "version_conflict_engine_exception"))
            else:
                self.target[doc_id] = {}
                items.append(_item(doc_id, 201))
        return {"items": items}


def test_reindex_copy_creates_only_and_waits_for_its_task() -> None:
    client = _Client({}, set())
    counts = reindex_copy(client, V1, V2, 3, poll_s=0)  # type: ignore[arg-type]
    assert client.reindexed["dest"] == {"index": V2, "op_type": "create"}
    assert client.reindexed["conflicts"] == "proceed"
    assert client.tasks.polls == 3 and counts.complete


def test_scroll_copy_skips_newer_writes_and_retries_what_was_refused_for_load() -> None:
    client = _Client({"a": {}, "b": {}, "c": {}}, busy_once={"c"})
    counts = scroll_copy(client, V1, V2, 3)  # type: ignore[arg-type]
    assert (counts.copied, counts.skipped_newer, counts.failed) == (2, 1, 0)
    assert counts.complete and set(client.target) == {"a", "b", "c"}
    assert client.sent == ["cleared"]


def test_report_totals() -> None:
    report = MigrationReport(A, V2, (V1,), False, "scroll", copies=[
        CopyCounts(V1, "scroll", 4, copied=3, skipped_newer=1, seconds=2.0)])
    data = report.as_dict()
    assert (data["copied"], data["skipped_newer"], data["failed"]) == (3, 1, 0)
    assert data["docs_per_s"] == 2.0 and data["complete"]


# --- writing while the alias has two indices --------------------------------------------


def test_the_write_index_copy_wins_then_the_newest_older_one() -> None:
    view = AliasView((V1, V2, V3), V2)  # odd, but the flag decides, not the number
    found = newest_copies([_doc(V1, "a"), _doc(V2, "a"), _doc(V3, "a"), _doc(V1, "b"),
                           _doc(V3, "b"), {"_index": V2, "_id": "c", "found": False}], view)
    assert {k: v.index for k, v in found.items()} == {"a": V2, "b": V3}


def test_an_index_deleted_since_the_alias_was_read_is_skipped_other_errors_raise() -> None:
    view = AliasView((V1, V2), V2)
    gone = {"_index": V1, "_id": "a", "error": {"type": "index_not_found_exception"}}
    assert newest_copies([gone, _doc(V2, "a")], view)["a"].index == V2
    broken = {"_index": V1, "_id": "a", "error": {"type": "no_shard_available_action_exception"}}
    with pytest.raises(TransientError):
        newest_copies([broken], view)


def test_replace_in_place_only_in_the_write_index_else_create_there() -> None:
    in_write = Write("a", "index", {}, Current({}, 7, 2, V2))
    in_older = Write("b", "index", {}, Current({}, 7, 2, V1))
    new = Write("c", "create", {})
    assert in_write.operation(V2) == {"index": {"_index": V2, "_id": "a", "if_seq_no": 7,
                                                "if_primary_term": 2}}
    assert in_older.operation(V2) == {"create": {"_index": V2, "_id": "b"}}
    assert new.operation(V2) == {"create": {"_index": V2, "_id": "c"}}
    assert planned_from_older([in_write, in_older, new], V2) == [in_older, new]


def test_a_create_planned_from_a_read_the_older_index_no_longer_matches_is_planned_again() -> None:
    view = AliasView((V1, V2), V2)
    unchanged = Write("a", "index", {}, Current({}, 1, 1, V1))
    changed = Write("b", "index", {}, Current({}, 1, 1, V1))
    appeared = Write("c", "create", {})  # read as absent, but the old index had it
    still_absent = Write("d", "create", {})
    older_now = [_doc(V1, "a", 1), _doc(V1, "b", 2), _doc(V1, "c", 5),
                 {"_index": V1, "_id": "d", "found": False}]
    retry = changed_since_read([unchanged, changed, appeared, still_absent], older_now, view)
    assert set(retry) == {"b", "c"}
