"""Bounded failure: refused paths, the folder cap, bad records per file, quarantine chunks,
and the note a job keeps of what it waits on. No services: fakes and temporary folders."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from elastic_transport import ApiResponseMeta, HttpHeaders, NodeConfig
from elasticsearch import ApiError

from tests.unit.fakes import FakeEnricher, FakeLedger, FakeOutbox, FakeStore
from worker.errors import NoArticlesError, TransientError
from worker.index.store import ElasticStore
from worker.index.writes import bulk_chunks
from worker.jobs import submit
from worker.jobs.submit import start_ingest
from worker.jobs.summary import JobSummary, Waiting
from worker.pipeline.fate import Retry
from worker.pipeline.messages import SourceItem, dump_envelopes, payload_job_ids
from worker.pipeline.quarantine import digest, file_refusal, plan_bad_records
from worker.pipeline.stages import Stages
from worker.queue.batches import is_claim
from worker.record import Origin
from worker.settings import Settings
from worker.sources.discover import SeedPathError, discover_seed_files, seed_paths
from worker.sources.seed_common import RecordError

SETTINGS = Settings(_env_file=None, max_bad_records=3)  # type: ignore[call-arg]


# --- paths ---------------------------------------------------------------------------------

@pytest.mark.parametrize("target", ["", "  "])
def test_empty_path_is_refused_not_taken_for_the_current_folder(target: str) -> None:
    with pytest.raises(SeedPathError, match="empty path"):
        seed_paths([target])


def test_root_and_home_are_refused_but_folders_inside_them_are_not(tmp_path: Path) -> None:
    with pytest.raises(SeedPathError, match="filesystem root"):
        seed_paths(["/"])
    with pytest.raises(SeedPathError, match="filesystem root"):
        seed_paths(["/tmp/../"])
    with pytest.raises(SeedPathError, match="home folder"):
        seed_paths([str(tmp_path)], home=tmp_path.resolve())
    (tmp_path / "seeds").mkdir()
    assert seed_paths([str(tmp_path / "seeds"), "."], home=tmp_path.resolve()) == [
        tmp_path / "seeds", Path(".")]


def test_walk_keeps_sorted_path_order_skips_hidden_and_stops_at_the_cap(
    tmp_path: Path,
) -> None:
    for name in ("b.txt", "a/x.txt", "a-b.txt", "a/c/z.txt", ".git/HEAD", "a/.hidden.txt"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    found = discover_seed_files([tmp_path])
    expected = sorted(p for p in tmp_path.rglob("*")
                      if p.is_file() and not any(part.startswith(".")
                                                 for part in p.relative_to(tmp_path).parts))
    assert found == expected and len(found) == 4
    assert discover_seed_files([tmp_path], max_files=4) == expected
    with pytest.raises(SeedPathError, match="more than 3 files"):
        discover_seed_files([tmp_path], max_files=3)
    with pytest.raises(FileNotFoundError):
        discover_seed_files([tmp_path / "missing"])


def test_start_ingest_refuses_before_opening_a_job_and_counts_unreadable_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    ledger, outbox = FakeLedger(), FakeOutbox()
    with pytest.raises(SeedPathError):
        start_ingest([""], SETTINGS, ledger, outbox, {})
    with pytest.raises(FileNotFoundError):
        start_ingest([str(tmp_path / "missing.txt")], SETTINGS, ledger, outbox, {})
    assert ledger.sources == {} and outbox.parsed == []

    (tmp_path / "good.txt").write_text("Title\n\nSome body text here.\n")
    (tmp_path / "locked.txt").write_text("secret")
    real = submit.source_item

    def unreadable(job_id: str, key: str, path: Path, settings: Settings) -> SourceItem:
        if path.name == "locked.txt":  # chmod 0 proves nothing when tests run as root
            raise PermissionError(13, "Permission denied")
        return real(job_id, key, path, settings)

    monkeypatch.setattr(submit, "source_item", unreadable)
    job_id = start_ingest([str(tmp_path)], SETTINGS, ledger, outbox, {})
    assert [item.origin.location for item in outbox.parsed] == [str(tmp_path / "good.txt")]
    assert ledger.sources == {f"{job_id}:0": "pending", f"{job_id}:1": "failed"}
    assert ledger.errors[f"{job_id}:1"] == f"cannot read {tmp_path / 'locked.txt'}: " \
        "Permission denied"


# --- bad records ----------------------------------------------------------------------------

def errors(n: int, code: str = "invalid_record") -> list[RecordError]:
    return [RecordError(f"/s/a.json[{i}]", f"bad {i}", code, f'"{i}"'.encode())
            for i in range(n)]


def test_plan_keeps_the_first_bad_records_and_one_digest_for_the_rest() -> None:
    small = plan_bad_records("j:0", errors(3), 3)
    assert small.keys == ["j:0!0", "j:0!1", "j:0!2"] and small.rest is None
    big = plan_bad_records("j:0", errors(10) + errors(2, "empty"), 3)
    assert big.keys == ["j:0!0", "j:0!1", "j:0!2", "j:0!rest"]
    assert big.rest is not None and big.rest.count == 9
    assert big.rest.reason_codes == {"invalid_record": 7, "empty": 2}
    assert [s["location"] for s in big.rest.samples] == [f"/s/a.json[{i}]" for i in range(3, 8)]
    assert "9 bad records" in big.rest_reason() and "first 3" in big.rest_reason()


def test_a_file_without_articles_is_one_refusal_with_counts_and_samples() -> None:
    exc, summary = file_refusal(errors(73_295))
    assert isinstance(exc, NoArticlesError) and exc.reason_code == "no_articles"
    assert "73295 bad records (invalid_record 73295)" in str(exc)
    assert summary.as_record()["bad_records"] == 73_295
    assert len(summary.samples) == 5 and summary.samples[0]["raw"] == '"0"'
    one, _ = file_refusal(errors(1, "empty"))
    assert one.reason_code == "empty"  # one bad record is the file's own reason
    assert digest([RecordError("x", "r", "c", b"\xff" * 5000)]).samples[0]["raw"] == "\ufffd" * 300


def json_item(payload: object, name: str = "words.json") -> SourceItem:
    origin = Origin(kind="seed", location=f"/s/{name}", job_id="j")
    return SourceItem.from_bytes("j", "j:0", origin, json.dumps(payload).encode())


def make_stages() -> tuple[Stages, FakeStore, FakeLedger, FakeOutbox]:
    store, ledger, outbox = FakeStore(), FakeLedger(), FakeOutbox()
    return Stages(SETTINGS, store, ledger, outbox, FakeEnricher()), store, ledger, outbox


def test_73k_strings_are_one_quarantine_entry_and_one_item() -> None:
    stages, store, ledger, outbox = make_stages()
    started = time.monotonic()
    assert stages.handle_source(json_item([f"word {i}" for i in range(73_295)])) == 0
    assert time.monotonic() - started < 30
    [entry] = store.quarantined.values()
    assert entry["reason_code"] == "no_articles" and entry["record"]["bad_records"] == 73_295
    assert entry["raw_size"] > 0  # the file itself is kept (first MiB)
    assert ledger.articles == {"j:0": "j:0"} and ledger.counts() == {"quarantined": 1}
    assert ledger.sources == {"j:0": "quarantined"} and outbox.enriched == []


def test_many_bad_records_beside_articles_are_capped_and_counts_add_up() -> None:
    stages, store, ledger, outbox = make_stages()
    good = [{"title": f"T{n}", "body": f"Body {n} of a story."} for n in range(2)]
    assert stages.handle_source(json_item([*good, *range(50)])) == 2
    assert len(store.quarantined) == 4  # 3 one by one + 1 for the other 47
    rest = next(e for e in store.quarantined.values() if e["reason_code"] == "more_bad_records")
    assert rest["record"]["bad_records"] == 47 and rest["item_key"] == "j:0!rest"
    assert len(ledger.articles) == 2 + 4 and ledger.counts() == {"quarantined": 4}
    stages.handle_index([env for batch in outbox.enriched for env in batch])
    summary = JobSummary("j", 1, 0, len(ledger.articles), ledger.counts()["indexed"], 0, 0,
                         ledger.counts()["quarantined"], [])
    assert summary.done and summary.indexed + summary.quarantined == summary.submitted


# --- quarantine bulks -------------------------------------------------------------------------

def test_bulk_chunks_bound_entries_and_bytes() -> None:
    docs = {f"d{i}": {"reason": "x"} for i in range(1203)}
    assert [len(c) for c in bulk_chunks(docs)] == [500, 500, 203]
    big = {f"b{i}": {"raw_base64": "A" * 3_000_000} for i in range(3)}
    assert [len(c) for c in bulk_chunks(big)] == [1, 1, 1]
    assert [list(c) for c in bulk_chunks(docs, max_docs=2)][:2] == [["d0", "d1"], ["d2", "d3"]]
    assert bulk_chunks({}) == []


class FakeClient:
    """Answers bulk requests from a script: 'ok', '429' (whole request) or 'item429'."""

    def __init__(self, script: list[str]) -> None:
        self.script = script
        self.requests: list[int] = []

    def bulk(self, operations: list[dict[str, Any]]) -> dict[str, Any]:
        ids = [op["index"]["_id"] for op in operations[::2]]
        self.requests.append(len(ids))
        answer = self.script.pop(0) if self.script else "ok"
        if answer == "429":
            meta = ApiResponseMeta(429, "1.1", HttpHeaders(), 0.0,
                                   NodeConfig("http", "localhost", 9200))
            raise ApiError("es_rejected_execution_exception", meta, {})
        status = 429 if answer == "item429" else 201
        return {"items": [{"index": {"_id": i, "status": status if n == 0 else 201}}
                          for n, i in enumerate(ids)]}


def store_with(client: FakeClient, monkeypatch: pytest.MonkeyPatch) -> ElasticStore:
    monkeypatch.setattr("worker.index.store.time.sleep", lambda s: None)
    return ElasticStore(Settings(_env_file=None), client=client)  # type: ignore[arg-type,call-arg]


def test_put_quarantine_sends_chunks_and_retries_only_the_refused_chunk(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client = FakeClient(["ok", "429", "item429", "ok"])
    store_with(client, monkeypatch).put_quarantine({f"d{i}": {"r": i} for i in range(1100)})
    # chunk 1 ok; chunk 2 refused whole, then one entry refused, then that entry alone; chunk 3
    assert client.requests == [500, 500, 500, 1, 100]


def test_put_quarantine_gives_up_to_the_task_after_its_tries(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client = FakeClient(["429"] * 10)
    with pytest.raises(TransientError, match="after 4 tries"):
        store_with(client, monkeypatch).put_quarantine({"d": {"r": 1}})
    assert client.requests == [1, 1, 1, 1]


# --- what a job waits on -----------------------------------------------------------------

def test_only_service_failures_make_a_job_wait() -> None:
    assert Retry(4, TransientError("elasticsearch 429")).waits_on_service
    assert not Retry(2, ValueError("bug")).waits_on_service


def test_job_ids_of_every_message_shape() -> None:
    item = json_item({"title": "t", "body": "b"})
    assert payload_job_ids(item.model_dump(mode="json")) == ["j"]
    stages, _, _, outbox = make_stages()
    stages.handle_source(item)
    assert payload_job_ids(dump_envelopes(outbox.enriched[0])) == ["j"]
    assert payload_job_ids([{"job_id": "b"}, {"job_id": "a"}]) == ["a", "b"]
    assert payload_job_ids("not json") == [] and payload_job_ids(None) == []
    claim = {"batch": "newsworker:batch:b:1", "job_ids": ["b", "a"], "articles": 2}
    assert payload_job_ids(claim) == ["a", "b"] and is_claim(claim)
    assert not is_claim(dump_envelopes(outbox.enriched[0]))


def test_waiting_is_described_and_shown_only_while_the_job_is_not_done() -> None:
    since = time.mktime((2026, 1, 2, 14, 2, 11, 0, 0, -1))
    waiting = Waiting("elasticsearch unreachable: refused", since, 7, since + 60)
    assert waiting.describe() == "elasticsearch unreachable: refused (since 14:02:11, 7 retries)"
    pending = JobSummary("j", 1, 1, 0, 0, 0, 0, 0, [], waiting)
    assert pending.as_dict()["waiting"]["description"].endswith("7 retries)")  # type: ignore[index]
    done = JobSummary("j", 1, 0, 1, 1, 0, 0, 0, [], waiting)
    assert done.as_dict()["waiting"] is None
