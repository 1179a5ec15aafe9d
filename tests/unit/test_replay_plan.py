"""Quarantine replay: which entries go back to which stage, and what the new job counts, run
through the real stages with in-memory ports."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

from tests.unit.fakes import FakeEnricher, FakeLedger, FakeOutbox, FakeStore
from worker.jobs.keys import envelopes_for
from worker.jobs.lineage import lineage_of, with_lineage
from worker.jobs.replay import (
    ReplayPlan,
    decide,
    plan_replay,
    record_file_location,
    submit_replay,
)
from worker.pipeline.messages import SourceItem
from worker.pipeline.stages import Stages
from worker.record import Article, Origin
from worker.settings import Settings

SETTINGS = Settings(_env_file=None, batch_size=2)  # type: ignore[call-arg]
SEED = Origin(kind="seed", location="/seeds/a.jsonl", job_id="j")


def rig(**verdicts: str) -> tuple[Stages, FakeStore, FakeLedger, FakeOutbox]:
    store, ledger, outbox = FakeStore(verdicts=dict(verdicts)), FakeLedger(), FakeOutbox()
    return Stages(SETTINGS, store, ledger, outbox, FakeEnricher()), store, ledger, outbox


def entries_of(store: FakeStore) -> dict[str, dict[str, Any]]:
    """The store's entries as `quarantine_entries` lists them: with their id."""
    return {doc_id: {"id": doc_id, **doc} for doc_id, doc in store.quarantined.items()}


def raw_of(store: FakeStore) -> Any:
    return lambda i: base64.b64decode(store.quarantined[i]["raw_base64"])


def replay(store: FakeStore, plan: ReplayPlan, job_id: str) -> tuple[FakeLedger, FakeOutbox]:
    ledger, outbox = FakeLedger(), FakeOutbox()
    submit_replay(plan, entries_of(store), ledger=ledger, outbox=outbox,
                  load_raw=raw_of(store), batch_size=2, job_id=job_id)
    return ledger, outbox


def story(title: str = "Harbour cranes repainted") -> Article:
    return Article(id="u1", origin=SEED, url="https://example.org/1", title=title,
                   body="Workers repainted the cranes of the harbour this week.")


def test_a_binary_file_replays_to_parse_and_failing_again_is_attempt_two() -> None:
    stages, store, _, _ = rig()
    stages.handle_source(SourceItem.from_bytes("j", "j:0", SEED.model_copy(
        update={"location": "/seeds/x.txt"}), b"\x00\x01binary" * 40))
    [first] = entries_of(store).values()
    assert first["attempts"] == 1 and first["first_quarantined_at"] == first["quarantined_at"]

    plan = plan_replay([first])
    assert [(d.route, d.location) for d in plan.decisions] == [("parse", "/seeds/x.txt")]
    _, outbox = replay(store, plan, "replay-1")
    [item] = outbox.parsed
    assert item.content() == b"\x00\x01binary" * 40 and item.origin.job_id == "replay-1"

    stages.handle_source(item)  # the cause is still there: quarantined again
    [again] = [e for i, e in entries_of(store).items() if i != first["id"]]
    assert again["attempts"] == 2 and again["job_id"] == "replay-1"
    assert datetime.fromisoformat(again["first_quarantined_at"]) == datetime.fromisoformat(
        first["quarantined_at"]).replace(microsecond=0)


def test_an_article_refused_at_index_is_indexed_once_when_the_cause_is_gone() -> None:
    stages, store, _, _ = rig(u1="mapper_parsing_exception: bad")
    stages.index_and_requeue(envelopes_for("j", "j:0", [story()]))
    assert store.docs == {}
    plan = plan_replay(entries_of(store).values())
    assert plan.counts()["replayed_by_stage"] == {"index": 1}
    assert plan.counts()["replayed_to"] == {"enrich": 1}

    store.verdicts.clear()  # the cause is removed
    for job_id, outcome in (("replay-1", "indexed"), ("replay-2", "duplicate")):
        ledger, outbox = replay(store, plan_replay(entries_of(store).values()), job_id)
        stages.ledger = stages.quarantine.ledger = ledger
        for batch in outbox.enriched:
            stages.handle_enrich(batch)
        for batch, _ in stages.outbox.indexed:  # type: ignore[attr-defined]
            stages.index_and_requeue(batch)
        stages.outbox.indexed.clear()  # type: ignore[attr-defined]
        assert len(ledger.articles) == 1 and list(ledger.outcomes.values()) == [outcome]
    assert list(store.docs) == ["u1"]  # a second replay is a duplicate, never a second doc


def test_entries_already_replayed_are_skipped_unless_again() -> None:
    entry = {"id": "e1", "stage": "index", "record": story().model_dump(mode="json"),
             "replayed_at": "2026-12-02T10:00:00+00:00", "replay_job": "replay-1"}
    skipped = decide(entry)
    assert skipped.route is None and skipped.skip == "already_replayed"
    assert "replay-1" in (skipped.why or "")
    assert decide(entry, again=True).route == "enrich"


def test_entries_without_a_payload_say_why() -> None:
    base = {"id": "e", "stage": "parse", "origin": {"kind": "seed", "location": "/s/a.jsonl"}}
    cases = {
        "summary": {**base, "reason_code": "more_bad_records", "record": {"bad_records": 9}},
        "too big": {**base, "item_key": "j:0", "reason_code": "too_large"},
        "cut": {**base, "item_key": "j:0", "raw_size": 5_000_000, "raw_truncated": True},
        "feed body": {**base, "stage": "feed", "item_key": "j:feed:x", "raw_size": 10},
        "warc record": {**base, "item_key": "j:0!1", "raw_size": 10,
                        "origin": {"kind": "seed", "location": "/s/c.warc#/s/c.warc#record-2"}},
        "no text": {**base, "stage": "feed", "record": story("").model_copy(
            update={"body": "", "url": None}).model_dump(mode="json")},
    }
    plan = plan_replay(cases.values())
    assert [d.skip for d in plan.decisions] == ["no_payload"] * len(cases)
    why = dict(zip(cases, (d.why or "" for d in plan.decisions), strict=True))
    assert "counts and samples" in why["summary"]
    assert "ingest /s/a.jsonl again" in why["too big"] and "5000000" in why["cut"]
    assert "poll the feed" in why["feed body"] and "on its own" in why["warc record"]
    assert "no URL" in why["no text"]
    assert plan.counts()["skipped"] == {"already_replayed": 0, "no_payload": 6}


def test_a_headline_without_text_goes_back_to_the_page_fetch() -> None:
    empty = story("").model_copy(update={"body": ""}).model_dump(mode="json")
    assert decide({"id": "e", "stage": "fulltext", "record": empty}).route == "fulltext"


def test_a_bad_record_replays_alone_under_its_file_name() -> None:
    stages, store, _, _ = rig()
    good = '{"title": "Harbour cranes", "body": "Repainted this week.", "url": "https://e.org/1"}'
    stages.handle_source(SourceItem.from_bytes("j", "j:0", SEED, f"{good}\n{{broken".encode()))
    [entry] = entries_of(store).values()
    [decision] = plan_replay([entry]).decisions
    assert decision.route == "parse" and decision.location == "/seeds/a.jsonl"
    _, outbox = replay(store, plan_replay([entry]), "replay-1")
    assert outbox.parsed[0].content() == b"{broken"


def test_record_locations_name_the_file_their_bytes_parse_as() -> None:
    assert record_file_location("/s/a.jsonl#/s/a.jsonl:7") == "/s/a.jsonl"
    assert record_file_location("/s/a.jsonl:7") == "/s/a.jsonl"
    assert record_file_location("/s/b.json[3]") == "/s/b.json"
    assert record_file_location("/s/z.zip#/s/z.zip!inner/c.txt") == "/s/z.zip!inner/c.txt"
    assert record_file_location("/s/z.zip!in.jsonl:2") == "/s/z.zip!in.jsonl"
    assert record_file_location("/s/c.warc#record-2") is None


def test_lineage_survives_the_keys_of_what_an_item_yields() -> None:
    first = datetime(2026, 12, 1, 8, 30, tzinfo=UTC)
    key = with_lineage("replay-1:0", 2, first)
    assert lineage_of(f"{key}!3") == lineage_of(f"{key}#0") == lineage_of(key)
    found = lineage_of(key)
    assert found is not None and (found.attempts, found.first_quarantined_at) == (2, first)
    assert lineage_of("j:0#1") is None


def test_every_replayed_entry_is_counted_by_the_new_job() -> None:
    stages, store, _, _ = rig()
    stages.handle_source(SourceItem.from_bytes("j", "j:0", SEED.model_copy(
        update={"location": "/seeds/x.txt"}), b"\x00binary" * 40))
    stages.quarantine.articles(envelopes_for("j", "j:1", [story()]), ValueError("x"),
                               stage="enrich")
    ledger, outbox = replay(store, plan_replay(entries_of(store).values()), "replay-1")
    assert set(ledger.sources) == {"replay-1:quarantine", *(i.key for i in outbox.parsed)}
    assert ledger.sources["replay-1:quarantine"] == "parsed"
    assert len(outbox.parsed) == 1 and [len(b) for b in outbox.enriched] == [1]
