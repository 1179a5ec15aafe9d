"""Replaying quarantine entries: which entries go back to which stage (a pure plan from the
entry documents), then one new job that sends them, counted like any ingest job.

A kept source file goes back to parse, a kept article record to NLP (or, when it has no text
but a URL, to the page fetch that failed); a summary, a cut or missing payload, a feed body
is not replayable, and the plan says why. Entries already replayed are skipped unless asked
again; a replay is idempotent anyway (article ids are deterministic: a second indexing is a
duplicate). Each replayed item's ledger key carries its lineage (``worker.jobs.lineage``), so
quarantined again it becomes a new entry with ``attempts + 1``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import ValidationError

from worker.index.documents import MAX_QUARANTINE_RAW_BYTES
from worker.jobs.keys import article_key, new_job_id, seed_source_key
from worker.jobs.lineage import with_lineage
from worker.pipeline.messages import ArticleEnvelope, SourceItem
from worker.pipeline.ports import Ledger, Outbox
from worker.pipeline.quarantine import MORE_BAD_RECORDS
from worker.pipeline.stages import batches
from worker.record import Article, Origin
from worker.sources.seed_common import DEFAULT_LIMITS

Route = Literal["parse", "enrich", "fulltext"]
Skip = Literal["already_replayed", "no_payload"]
# A record's location inside its file: 'a.jsonl:7' (a line), 'a.json[3]' (an array item).
_RECORD_SUFFIX = re.compile(r"^(?P<file>.+?)(?::\d+|\[\d+\])$")


@dataclass(frozen=True)
class Decision:
    """What a replay does with one entry: send it to ``route``, or skip it and say why."""

    entry_id: str
    stage: str
    route: Route | None = None
    location: str | None = None  # where a replayed source says it comes from (parse)
    skip: Skip | None = None
    why: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, for the report."""
        return {"id": self.entry_id, "stage": self.stage, "route": self.route,
                "skip": self.skip, "why": self.why}


@dataclass(frozen=True)
class ReplayPlan:
    """Every matched entry's decision, in the order listed."""

    decisions: tuple[Decision, ...]

    @property
    def replayed(self) -> list[Decision]:
        """Decisions that send something."""
        return [d for d in self.decisions if d.route is not None]

    def counts(self) -> dict[str, Any]:
        """Matched, replayed per entry stage and per route, skipped per cause."""
        return {
            "matched": len(self.decisions),
            "replayed": len(self.replayed),
            "replayed_by_stage": dict(Counter(d.stage for d in self.replayed)),
            "replayed_to": dict(Counter(d.route for d in self.replayed if d.route)),
            "skipped": {cause: sum(1 for d in self.decisions if d.skip == cause)
                        for cause in ("already_replayed", "no_payload")},
        }


def plan_replay(entries: Iterable[dict[str, Any]], *, again: bool = False) -> ReplayPlan:
    """Decide each entry (documents as the store lists them: with ``id``, without raw)."""
    return ReplayPlan(tuple(decide(entry, again=again) for entry in entries))


def decide(entry: dict[str, Any], *, again: bool = False) -> Decision:
    """Where one entry goes back to, or why it cannot."""
    entry_id, stage = str(entry["id"]), str(entry.get("stage") or "")
    if entry.get("replayed_at") and not again:
        return Decision(entry_id, stage, skip="already_replayed", why=(
            f"replayed at {entry['replayed_at']} by job {entry.get('replay_job')}; "
            "--again replays it anyway"))
    route, detail = _route(entry)
    if route is None:
        return Decision(entry_id, stage, skip="no_payload", why=detail)
    return Decision(entry_id, stage, route=route, location=detail)


def _route(entry: dict[str, Any]) -> tuple[Route | None, str]:
    """(route, the source's location) or (None, why nothing can be replayed)."""
    location = str((entry.get("origin") or {}).get("location") or "")
    if entry.get("reason_code") == MORE_BAD_RECORDS:
        return None, "a summary of bad records: only their counts and samples are kept"
    if entry.get("raw_size") is not None:
        return _source_route(entry, location)
    if entry.get("stage") == "parse":
        return None, f"the bytes were not kept (above the size limit?): ingest {location} again"
    article = _article(entry.get("record"))
    if article is None:
        return None, "no article record and no bytes were kept"
    if article.title.strip() or article.body.strip():
        return "enrich", location
    if article.url:
        return "fulltext", location
    return None, "the article has neither title nor text, and no URL to fetch it from"


def _source_route(entry: dict[str, Any], location: str) -> tuple[Route | None, str]:
    if entry.get("stage") != "parse":
        return None, f"a {entry.get('stage')} body, not a seed file: poll the feed again"
    if entry.get("raw_truncated"):
        return None, (f"only the first {MAX_QUARANTINE_RAW_BYTES} of {entry['raw_size']} "
                      f"bytes were kept: ingest {location} again")
    if "!" not in str(entry.get("item_key") or ""):
        return "parse", location
    # A bad record of a file: its bytes parse alone under its file's name (a JSON line, a
    # JSON array item, a zip member), unless they were cut when it was quarantined.
    if int(entry["raw_size"]) >= DEFAULT_LIMITS.max_record_raw:
        return None, f"the record's bytes were cut at {DEFAULT_LIMITS.max_record_raw}"
    name = record_file_location(location)
    if name is None:
        return None, f"a record of {location} cannot be parsed on its own"
    return "parse", name


def record_file_location(location: str) -> str | None:
    """Under which name a bad record's bytes parse alone: the file of a line or array item,
    a zip member as it is; None for other records (a WARC record, a feed entry)."""
    tail = location.rsplit("#", 1)[-1]  # 'file#file:7' is a record location's long form
    found = _RECORD_SUFFIX.match(tail)
    if found:
        return found["file"]
    if "!" in tail and "#" not in tail:
        return tail
    return None


def _article(record: Any) -> Article | None:
    if not isinstance(record, dict) or "id" not in record:
        return None
    try:
        return Article.model_validate(record)
    except ValidationError:
        return None


def _first_at(entry: dict[str, Any]) -> datetime:
    value = entry.get("first_quarantined_at") or entry.get("quarantined_at")
    when = datetime.fromisoformat(str(value)) if value else datetime.now(UTC)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def articles_source_key(job_id: str) -> str:
    """Key of the quarantined article records a replay job sends again."""
    return f"{job_id}:quarantine"


@dataclass(frozen=True)
class Submitted:
    """What a replay job sent: its id, the entries sent, those whose bytes were gone."""

    job_id: str
    sent: list[str]
    lost: list[str]


def submit_replay(
    plan: ReplayPlan, entries: dict[str, dict[str, Any]], *, ledger: Ledger, outbox: Outbox,
    load_raw: Callable[[str], bytes | None], batch_size: int, job_id: str | None = None,
    batch_chars: int | None = None,
) -> Submitted:
    """Open one job for every replayed entry, then send them: sources one by one (their
    bytes read one at a time, so memory holds one file), articles in NLP batches."""
    job_id = job_id or new_job_id("replay-")
    sources = [d for d in plan.replayed if d.route == "parse"]
    articles = [d for d in plan.replayed if d.route != "parse"]
    keys = {d.entry_id: with_lineage(seed_source_key(job_id, n), _attempts(entries[d.entry_id]),
                                     _first_at(entries[d.entry_id]))
            for n, d in enumerate(sources)}
    held = articles_source_key(job_id)
    ledger.open_job(job_id, list(keys.values()) + ([held] if articles else []))
    sent, lost = [], []
    if articles:
        envelopes = _envelopes(job_id, held, articles, entries)
        ledger.register_articles(job_id, held, [e.ledger_key for _, e in envelopes])
        to_nlp = [e for d, e in envelopes if d.route == "enrich"]
        for batch in batches(to_nlp, batch_size, batch_chars):
            outbox.enrich(batch)
        for decision, envelope in envelopes:
            if decision.route == "fulltext":
                outbox.fulltext(envelope)
        sent += [d.entry_id for d, _ in envelopes]
    for decision in sources:
        key = keys[decision.entry_id]
        raw = load_raw(decision.entry_id)
        if raw is None:
            ledger.source_failed(job_id, key, f"quarantine entry {decision.entry_id} is gone")
            lost.append(decision.entry_id)
            continue
        origin = Origin(kind="seed", location=decision.location or "", job_id=job_id)
        outbox.parse(SourceItem.from_bytes(job_id, key, origin, raw))
        sent.append(decision.entry_id)
    return Submitted(job_id, sent, lost)


def _attempts(entry: dict[str, Any]) -> int:
    return int(entry.get("attempts") or 1)


def _envelopes(job_id: str, source_key: str, decisions: Sequence[Decision],
               entries: dict[str, dict[str, Any]]) -> list[tuple[Decision, ArticleEnvelope]]:
    """Each article record as a message of the new job (its origin names the new job too, so
    a new refusal is listed under it), keyed with its lineage."""
    out = []
    for n, decision in enumerate(decisions):
        entry = entries[decision.entry_id]
        article = Article.model_validate(entry["record"])
        article = article.model_copy(update={
            "origin": article.origin.model_copy(update={"job_id": job_id})})
        key = with_lineage(article_key(source_key, n), _attempts(entry), _first_at(entry))
        out.append((decision, ArticleEnvelope(job_id=job_id, ledger_key=key, article=article)))
    return out
