"""`index migrate` against the real stack: while ingestion writes, after an interruption, and
twice in a row; plus the store's reads and writes while the alias holds two indices."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch, helpers

from tests.integration.conftest import ROOT, Stack
from worker.index.migrate import index_name, index_status, prepare, run_migration, switch_writes
from worker.index.store import ElasticStore
from worker.index.writes import Write
from worker.jobs.ledger import JobLedger
from worker.settings import Settings

pytestmark = pytest.mark.integration
ALIAS = "news-articles"  # what the stack's workers write

# Paragraphs per language; {n} makes every article (and so its id) distinct, {m} finds them.
TEXTS = {
    "en": ("Harbour council report {n}", [
        "The harbour council met on Monday to discuss report number {n} about {m}.",
        "Members said the new cranes had been delivered and would start work next month.",
        "The port expects more container ships in the summer, a spokesman said.",
    ]),
    "fr": ("Rapport du conseil municipal {n}", [
        "Le conseil municipal s'est réuni lundi pour examiner le rapport numéro {n} sur {m}.",
        "Les élus ont voté la rénovation de la bibliothèque et du marché couvert.",
        "Les travaux doivent commencer au printemps et durer environ deux ans.",
    ]),
    "id": ("Laporan dewan kota nomor {n}", [
        "Dewan kota bertemu pada hari Senin untuk membahas laporan nomor {n} tentang {m}.",
        "Para anggota mengatakan bahwa jalan baru akan dibuka untuk umum bulan depan.",
        "Pemerintah daerah berharap proyek itu selesai sebelum akhir tahun ini.",
    ]),
    "de": ("Bericht des Stadtrats Nummer {n}", [
        "Der Stadtrat traf sich am Montag, um den Bericht Nummer {n} über {m} zu beraten.",
        "Die Mitglieder sagten, die neue Brücke werde im nächsten Monat eröffnet.",
        "Die Arbeiten sollen im Frühjahr beginnen und etwa zwei Jahre dauern.",
    ]),
    "es": ("Informe del ayuntamiento número {n}", [
        "El ayuntamiento se reunió el lunes para estudiar el informe número {n} sobre {m}.",
        "Los concejales dijeron que la nueva biblioteca abrirá sus puertas el mes que viene.",
        "Las obras comenzarán en primavera y durarán unos dos años, según el plan.",
    ]),
    "it": ("Rapporto del consiglio comunale {n}", [
        "Il consiglio comunale si è riunito lunedì per esaminare il rapporto {n} su {m}.",
        "I consiglieri hanno detto che la nuova piazza sarà inaugurata il mese prossimo.",
        "I lavori dovrebbero cominciare in primavera e durare circa due anni.",
    ]),
    "nl": ("Verslag van de gemeenteraad {n}", [
        "De gemeenteraad kwam maandag bijeen om verslag nummer {n} over {m} te bespreken.",
        "De leden zeiden dat de nieuwe brug volgende maand voor het verkeer opengaat.",
        "De werkzaamheden beginnen in het voorjaar en duren ongeveer twee jaar.",
    ]),
    "pt": ("Relatório da câmara municipal {n}", [
        "A câmara municipal reuniu-se na segunda-feira para analisar o relatório {n} sobre {m}.",
        "Os vereadores disseram que a nova escola vai abrir as portas no próximo mês.",
        "As obras devem começar na primavera e durar cerca de dois anos.",
    ]),
}


def _write_seeds(folder: Path, marker: str, numbers: range) -> int:
    """One small .txt article per number, languages in turn: title, blank line, paragraphs."""
    folder.mkdir(parents=True)
    languages = sorted(TEXTS)
    for n in numbers:
        lang = languages[n % len(languages)]
        title, paragraphs = TEXTS[lang]
        body = "\n\n".join(p.format(n=n, m=marker) for p in paragraphs)
        (folder / f"{lang}_{n:04d}.txt").write_text(f"{title.format(n=n)}\n\n{body}\n",
                                                    encoding="utf-8")
    return len(numbers)


def _dev_env(stack: Stack, name: str) -> str:
    lines = (Path(stack.env["NEWSWORKER_STATE_DIR"]) / "dev.env").read_text().splitlines()
    return next(line.split("=", 1)[1] for line in lines if line.startswith(f"{name}="))


@pytest.fixture(scope="module")
def settings(stack: Stack) -> Settings:
    """The stack's addresses and the alias its workers write."""
    return Settings(elasticsearch_url=_dev_env(stack, "NEWSWORKER_ELASTICSEARCH_URL"),
                    redis_url=_dev_env(stack, "NEWSWORKER_REDIS_URL"),
                    articles_alias=ALIAS, config_dir=ROOT / "config")


@pytest.fixture(scope="module")
def es(settings: Settings) -> Elasticsearch:
    return Elasticsearch(settings.elasticsearch_url, request_timeout=60)


def _marked_ids(es: Elasticsearch, marker: str) -> list[str]:
    """Ids of every document in the alias that mentions ``marker`` (one per index copy)."""
    es.indices.refresh(index=ALIAS)
    return [hit["_id"] for hit in helpers.scan(
        es, index=ALIAS, query={"query": {"match": {"body": marker}}}, _source=False)]


def _alias_members(es: Elasticsearch) -> dict[str, bool]:
    return {index: bool(body["aliases"][ALIAS].get("is_write_index"))
            for index, body in es.indices.get_alias(name=ALIAS).items()}


def _wait_until(condition: Any, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def test_migrate_while_ingesting_loses_nothing(
    stack: Stack, settings: Settings, es: Elasticsearch, tmp_path: Path
) -> None:
    marker = uuid.uuid4().hex
    sent = _write_seeds(tmp_path / "before", marker, range(150))
    # Enough that ingestion is still writing when the copy ends: since the index worker runs
    # two processes, 400 small articles were all indexed within the CLI's start-up time.
    sent += _write_seeds(tmp_path / "during", marker, range(150, 950))
    first = stack.json("ingest", str(tmp_path / "before"), "--wait", "--timeout", "600")
    assert first["done"], first
    old = stack.json("index", "status")["write_index"]

    ledger = JobLedger.from_url(settings.redis_url)
    job_id = stack.json("ingest", str(tmp_path / "during"))["job_id"]
    _wait_until(lambda: ledger.summary(job_id).as_dict()["indexed"] > 0)
    running = ledger.summary(job_id).as_dict()
    # In process (`index migrate` runs the same function): the write block comes at once.
    report = run_migration(ElasticStore(settings)).as_dict()
    summary = ledger.wait(job_id, 600).as_dict()
    print(f"\nlive: {running['indexed']} of {running['submitted']} indexed when the migration "
          f"started; {report['copied']} copied at {report['docs_per_s']} docs/s, "
          f"durations {report['durations_s']}")

    assert not running["done"], "ingestion had finished before the migration started"
    assert summary["done"], summary
    assert (list(report["sources"]), report["resumed"], report["complete"]) == ([old], False, True)
    assert report["failed"] == 0
    new = report["target"]
    assert report["copied"] + report["skipped_newer"] == report["copies"][0]["expected"]
    # Every article is in the new index once: none lost, none twice.
    quarantined = first["quarantined"] + summary["quarantined"]
    assert first["indexed"] + summary["indexed"] == sent - quarantined
    ids = _marked_ids(es, marker)
    assert len(ids) == len(set(ids)) == sent - quarantined
    # Ingestion went on writing into the new index while (and after) it was filled.
    assert int(es.count(index=new)["count"]) > report["copied"]
    assert _alias_members(es) == {new: True}
    assert not es.indices.exists(index=old)

    status = stack.json("index", "status")
    assert status["write_index"] == new and status["alias_indices"] == [new]
    assert status["write_version"] == int(new.rsplit("-", 1)[1])
    assert status["migration"] == {"in_progress": False, "state": "steady",
                                   "detail": f"{new} takes every write"}
    assert status["template_schema_version"] == status["config_schema_version"]
    [row] = [i for i in status["indices"] if i["name"] == new]
    assert row["docs"] == int(es.count(index=ALIAS)["count"])
    assert row["schema_version"] == status["config_schema_version"]


def test_migrating_again_moves_every_document_to_the_next_version(
    stack: Stack, es: Elasticsearch
) -> None:
    es.indices.refresh(index=ALIAS)
    before = stack.json("index", "status")
    count = int(es.count(index=ALIAS)["count"])
    kept = stack.json("index", "migrate", "--keep-old")
    again = stack.json("index", "migrate")

    assert (kept["sources"], kept["old_indices"]) == ([before["write_index"]], "kept")
    assert (again["sources"], again["old_indices"]) == ([kept["target"]], "deleted")
    for report in (kept, again):
        assert (report["resumed"], report["complete"], report["failed"]) == (False, True, 0)
        assert report["copied"] + report["skipped_newer"] >= count  # nothing else writes now
    after = stack.json("index", "status")
    assert after["write_version"] == before["write_version"] + 2
    assert _alias_members(es) == {again["target"]: True}
    assert int(es.count(index=ALIAS)["count"]) >= count
    # The kept version is outside the alias, read-only, whole.
    [old] = [i for i in after["indices"] if i["name"] == before["write_index"]]
    assert (old["in_alias"], old["write_blocked"]) == (False, True)
    assert old["docs"] == kept["copies"][0]["expected"]
    es.indices.delete(index=before["write_index"])


def test_an_interrupted_migration_resumes_and_a_copy_ingested_meanwhile_keeps_both_origins(
    stack: Stack, settings: Settings, es: Elasticsearch, tmp_path: Path
) -> None:
    marker = uuid.uuid4().hex
    text = (f"Tallinn opens ferry terminal {marker}\n\nThe new ferry terminal in Tallinn opened "
            f"on Friday {marker}, the port said.\n\nIt will serve the lines to Helsinki and "
            "Stockholm, with room for four ships at once.\n")
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "story.txt").write_text(text, encoding="utf-8")
    assert stack.json("ingest", str(tmp_path / "a"), "--wait")["indexed"] == 1

    # A migration that stopped right after moving writes, as if killed there.
    store = ElasticStore(settings)
    plan = prepare(store)
    switch_writes(store, plan)
    status = stack.json("index", "status")
    assert status["migration"]["state"] == "copying"
    assert set(status["alias_indices"]) == {*plan.sources, plan.target}

    # The same article again: read from the old index, written into the new one.
    assert stack.json("ingest", str(tmp_path / "b"), "--wait")["duplicates"] == 1
    report = stack.json("index", "migrate")
    assert (report["target"], report["resumed"], report["complete"]) == (plan.target, True, True)
    assert report["skipped_newer"] >= 1

    [doc_id] = _marked_ids(es, marker)
    origins = [o["location"] for o in es.get(index=ALIAS, id=doc_id)["_source"]["origins"]]
    assert origins == [str(tmp_path / "a" / "story.txt"), str(tmp_path / "b" / "story.txt")]
    assert _alias_members(es) == {plan.target: True}


# --- the store and the migration steps, on an alias of their own --------------------------


@pytest.fixture
def scratch(settings: Settings, es: Elasticsearch) -> Iterator[ElasticStore]:
    """A store on a fresh alias nobody else writes to (same node, same templates)."""
    alias = f"mtest{uuid.uuid4().hex[:8]}"
    store = ElasticStore(settings.model_copy(update={"articles_alias": alias,
                                                     "quarantine_index": f"{alias}q"}))
    store.ensure_indices()
    yield store
    names = list(es.indices.get(index=f"{alias}-*,{alias}q", ignore_unavailable=True))
    if names:
        es.indices.delete(index=",".join(names))
    es.indices.delete_index_template(name=f"{alias},{alias}q")


def _fill(store: ElasticStore, n: int, marker: str) -> None:
    for start in range(0, n, 1000):
        writes = [Write(f"d{i}", "create", {"title": f"t{i}", "body": f"{marker} {i}"})
                  for i in range(start, min(n, start + 1000))]
        assert len(store.bulk_write(writes).written) == len(writes)


def test_after_the_switch_an_unrefreshed_write_in_the_old_index_is_seen_and_guards_creates(
    scratch: ElasticStore, es: Elasticsearch
) -> None:
    v1, v2 = index_name(scratch.alias, 1), index_name(scratch.alias, 2)
    es.indices.put_settings(index=v1, settings={"refresh_interval": "-1"})
    assert scratch.bulk_write([Write("x", "create", {"title": "first"})]).written == ["x"]
    switch_writes(scratch, prepare(scratch))

    # A search would miss it (not refreshed yet): a write planned from that would hide it.
    assert es.search(index=scratch.alias, query={"ids": {"values": ["x"]}})["hits"]["hits"] == []
    current = scratch.current(["x"])["x"]
    assert (current.index, current.source["title"]) == (v1, "first")
    # A create planned from "absent" (a read from before the switch) is planned again...
    stale = scratch.bulk_write([Write("x", "create", {"title": "second"})])
    assert list(stale.retry) == ["x"] and stale.written == []
    # ...one planned from what the old index holds is created in the write index.
    fresh = scratch.bulk_write([Write("x", "index", {"title": "merged"}, current)])
    assert fresh.written == ["x"]
    assert scratch.current(["x"])["x"].index == v2
    # Scans (reenrich) see each id once, the write index's version.
    es.indices.refresh(index=f"{v1},{v2}")
    assert [(i, d["title"]) for i, d in scratch.scan({"match_all": {}})] == [("x", "merged")]

    report = run_migration(scratch)
    assert (report.resumed, report.copies[0].copied, report.copies[0].skipped_newer) == (
        True, 0, 1)
    assert es.get(index=scratch.alias, id="x")["_source"]["title"] == "merged"


def test_a_copy_stopped_midway_is_finished_by_the_next_run(
    scratch: ElasticStore, es: Elasticsearch
) -> None:
    n, done = 5000, 1200
    _fill(scratch, n, "fill")
    plan = prepare(scratch)
    switch_writes(scratch, plan)
    es.indices.refresh(index=plan.sources[0])
    hits = es.search(index=plan.sources[0], size=done, sort=["_doc"])["hits"]["hits"]
    helpers.bulk(es, [{"_op_type": "create", "_index": plan.target, "_id": h["_id"],
                       "_source": h["_source"]} for h in hits])
    assert index_status(scratch)["migration"]["state"] == "copying"

    report = run_migration(scratch)
    [copy] = report.copies
    assert (report.target, report.resumed, copy.method) == (plan.target, True, "scroll")
    assert (copy.copied, copy.skipped_newer, copy.failed) == (n - done, done, 0)
    es.indices.refresh(index=scratch.alias)
    assert int(es.count(index=scratch.alias)["count"]) == n
    assert list(es.indices.get_alias(name=scratch.alias)) == [plan.target]
    assert not es.indices.exists(index=plan.sources[0])
    print(f"\nresumed copy: {copy.copied + copy.skipped_newer} docs in {copy.seconds:.2f} s, "
          f"{copy.docs_per_s} docs/s")


def test_copy_rate_of_a_fresh_migration(scratch: ElasticStore, es: Elasticsearch) -> None:
    n = 20000
    _fill(scratch, n, "rate")
    report = run_migration(scratch)
    data = report.as_dict()
    assert (data["copied"], data["failed"], data["complete"]) == (n, 0, True)
    print(f"\nfresh copy: {n} docs, {data['docs_per_s']} docs/s, durations {data['durations_s']}")

