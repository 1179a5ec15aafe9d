"""Article batches wait in Redis behind a claim: none is left behind by a finished job, and a
claim delivered again after its batch was finished changes nothing."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import pytest
import redis

from tests.integration.conftest import Stack, accounted
from worker.jobs.ledger import JobLedger
from worker.pipeline.messages import ArticleEnvelope, dump_envelopes
from worker.queue.batches import BatchStore, batch_key_pattern
from worker.queue.celery_config import make_app
from worker.queue.names import ENRICH_ARTICLES, NLP_QUEUE
from worker.record import Article, Origin, article_id
from worker.settings import Settings

pytestmark = pytest.mark.integration


def _redis_url(stack: Stack) -> str:
    rows = {row["name"]: row for row in stack.json("dev", "status")}
    return str(rows["redis"]["url"])


def _held(r: redis.Redis, job_id: str, wait_s: float = 10.0) -> list[bytes]:
    """The job's batch keys still held, once they are gone or ``wait_s`` has passed (a batch
    is released just after the outcomes that finish its job are recorded)."""
    deadline = time.monotonic() + wait_s
    while True:
        keys = list(r.scan_iter(match=batch_key_pattern(job_id), count=1000))
        if not keys or time.monotonic() > deadline:
            return keys
        time.sleep(0.2)


def _articles(folder: Path, n: int, tag: str) -> Path:
    folder.mkdir(parents=True)
    path = folder / "stories.jsonl"
    lines = [json.dumps({"title": f"Harbour report {tag} {k}",
                         "url": f"https://example.org/{tag}/{k}",
                         "body": f"Dock workers in Rotterdam met on day {k} of the strike {tag}. "
                                 "The union said talks with the port authority would resume."})
             for k in range(n)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def test_a_finished_job_leaves_no_batch_in_redis(stack: Stack, tmp_path: Path) -> None:
    tag = uuid.uuid4().hex[:8]
    summary = stack.json("ingest", str(_articles(tmp_path / "in", 150, tag)), "--wait",
                         "--timeout", "300")
    accounted(summary)
    assert summary["indexed"] == 150, summary
    held = _held(redis.Redis.from_url(_redis_url(stack)), str(summary["job_id"]))
    assert held == []


def test_a_claim_delivered_again_after_its_batch_finished_changes_nothing(
        stack: Stack, tmp_path: Path) -> None:
    redis_url = _redis_url(stack)
    r = redis.Redis.from_url(redis_url, socket_timeout=5)
    book, batches = JobLedger(r), BatchStore(r)
    job = f"claim{uuid.uuid4().hex[:8]}"
    book.open_job(job, ["src"])
    envelopes = []
    for k in range(3):
        title, body = f"Ferry fire {job} {k}", f"A ferry caught fire off Porto, report {k}."
        article = Article(id=article_id(url=None, title=title, body=body), title=title,
                          body=body,
                          origin=Origin(kind="seed", location=f"{job}/{k}", job_id=job))
        envelopes.append(ArticleEnvelope(job_id=job, ledger_key=f"{job}#{k}", article=article))
    book.register_articles(job, "src", [e.ledger_key for e in envelopes])
    claim = batches.claim(dump_envelopes(envelopes), [job], len(envelopes))
    app = make_app(Settings(_env_file=None, redis_url=redis_url))
    try:
        app.send_task(ENRICH_ARTICLES, args=(claim,), queue=NLP_QUEUE)
        deadline = time.monotonic() + 60
        while book.outcome_count(job) < 3 and time.monotonic() < deadline:
            time.sleep(0.2)
        first = book.summary(job).as_dict()
        assert first["indexed"] == 3, first
        assert _held(r, job) == []
        # The ack was lost after the batch was finished: Redis hands the claim out again.
        app.send_task(ENRICH_ARTICLES, args=(claim,), queue=NLP_QUEUE)
        log = Path(stack.env["NEWSWORKER_STATE_DIR"]) / "logs" / "worker-nlp.log"
        deadline = time.monotonic() + 30
        said = f"event='batch already finished' batch='{claim['batch']}'"
        while said not in log.read_text(errors="replace"):
            assert time.monotonic() < deadline, "the worker never said the claim was finished"
            time.sleep(0.2)
    finally:
        app.close()
    assert book.summary(job).as_dict() == first
    assert stack.json("quarantine", "list", "--job", job) == []
