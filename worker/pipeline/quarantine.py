"""Keeping what was refused: each refusal becomes a quarantine document with its reason and
counts as ``quarantined`` in its job, so nothing that entered is ever silently dropped.

Bad records are bounded per file: a file with no article is one entry for the file (how many
records, why, a few samples); a file with articles keeps its first ``max_bad_records`` bad
records one by one and one summary entry for the rest. Counts still add up: each entry is
one submitted, quarantined item.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import structlog

from worker.errors import NoArticlesError, QuarantineError
from worker.index.documents import QuarantineEntry, quarantine_document
from worker.jobs.keys import bad_records_rest_key, record_error_key
from worker.jobs.lineage import lineage_of
from worker.metrics.counting import count_quarantined
from worker.pipeline.messages import ArticleEnvelope, SourceItem
from worker.pipeline.ports import Ledger, Store
from worker.record import Origin
from worker.sources.seed_common import RecordError

log = structlog.get_logger(__name__)

SAMPLE_RECORDS = 5
SAMPLE_RAW_CHARS = 300
MORE_BAD_RECORDS = "more_bad_records"


@dataclass(frozen=True)
class RecordDigest:
    """Bad records counted instead of kept one by one: how many, why, and a few samples."""

    count: int
    reason_codes: dict[str, int]
    samples: list[dict[str, str | None]]

    def as_record(self) -> dict[str, Any]:
        """What the quarantine entry keeps in its ``record`` field."""
        return {"bad_records": self.count, "reason_codes": self.reason_codes,
                "samples": self.samples}

    def describe(self) -> str:
        """'3 bad records (invalid_record 2, empty 1), e.g. a.json[0]: ...'."""
        codes = ", ".join(f"{code} {n}" for code, n in self.reason_codes.items())
        first = self.samples[0] if self.samples else None
        example = f", e.g. {first['location']}: {first['reason']}" if first else ""
        plural = "record" if self.count == 1 else "records"
        return f"{self.count} bad {plural} ({codes}){example}"


def digest(errors: Sequence[RecordError], samples: int = SAMPLE_RECORDS) -> RecordDigest:
    """Counts by reason code (most frequent first) and the first ``samples`` records."""
    codes = Counter(e.reason_code for e in errors)
    return RecordDigest(
        count=len(errors),
        reason_codes=dict(codes.most_common()),
        samples=[{"location": e.location, "reason": e.reason, "reason_code": e.reason_code,
                  "raw": _excerpt(e.raw)} for e in errors[:samples]],
    )


def file_refusal(errors: Sequence[RecordError]) -> tuple[QuarantineError, RecordDigest]:
    """Why a file without a single article is refused, as one error for the whole file."""
    summary = digest(errors)
    if len(errors) == 1:
        return errors[0].to_exception(), summary
    return NoArticlesError(f"no article in the file: {summary.describe()}"), summary


@dataclass(frozen=True)
class BadRecordPlan:
    """Which bad records of a file get an entry each, and the digest of the rest."""

    each: dict[str, RecordError]
    rest_key: str | None = None
    rest: RecordDigest | None = None

    @property
    def keys(self) -> list[str]:
        """Ledger keys of every entry the plan writes (each counts as one item)."""
        return [*self.each, *([self.rest_key] if self.rest_key else [])]

    def rest_reason(self) -> str:
        """The summary entry's reason."""
        assert self.rest is not None
        return (f"{self.rest.describe()}; not kept one by one (the file's first "
                f"{len(self.each)} bad records are)")


def plan_bad_records(source_key: str, errors: Sequence[RecordError],
                     max_entries: int) -> BadRecordPlan:
    """The first ``max_entries`` errors one by one, then one digest for all the others."""
    each = {record_error_key(source_key, n): e for n, e in enumerate(errors[:max_entries])}
    if len(errors) <= max_entries:
        return BadRecordPlan(each)
    return BadRecordPlan(each, bad_records_rest_key(source_key), digest(errors[max_entries:]))


class Quarantine:
    """Writes refusals to the quarantine index and counts them in the job ledger."""

    def __init__(self, store: Store, ledger: Ledger) -> None:
        self.store = store
        self.ledger = ledger

    def source(self, item: SourceItem, exc: BaseException, *, stage: str,
               detail: dict[str, Any] | None = None) -> None:
        """Keep a refused source (with its bytes) and count it as quarantined."""
        entry = _entry(item.key, stage, exc, item.origin)
        entry.raw = item.content() if item.content_b64 is not None else None
        entry.record = detail
        document = quarantine_document(entry)
        self.store.put_quarantine({entry.doc_id: document})
        count_quarantined([document])
        self.ledger.source_quarantined(item.job_id, item.key)
        log.warning("quarantined", stage=stage, origin=item.origin.location, reason=str(exc))

    def bad_file(self, item: SourceItem, errors: Sequence[RecordError]) -> None:
        """A file whose every record is bad: one entry, with counts and samples."""
        exc, summary = file_refusal(errors)
        self.source(item, exc, stage="parse", detail=summary.as_record())

    def records(self, item: SourceItem, plan: BadRecordPlan) -> None:
        """Keep the bad records of a file whose good records go on, as the plan says."""
        documents = {}
        for key, error in plan.each.items():
            origin = item.origin.model_copy(
                update={"location": record_location(item.origin.location, error.location)}
            )
            entry = _entry(key, "parse", error.to_exception(), origin)
            entry.raw = error.raw
            documents[entry.doc_id] = quarantine_document(entry)
        if plan.rest_key and plan.rest:
            exc = QuarantineError(plan.rest_reason(), reason_code=MORE_BAD_RECORDS)
            entry = _entry(plan.rest_key, "parse", exc, item.origin)
            entry.record = plan.rest.as_record()
            documents[entry.doc_id] = quarantine_document(entry)
        self.store.put_quarantine(documents)
        count_quarantined(documents.values())
        self.ledger.record(item.job_id, dict.fromkeys(plan.keys, "quarantined"))
        log.warning("quarantined records", origin=item.origin.location, count=len(plan.each),
                    summarised=plan.rest.count if plan.rest else 0)

    def articles(self, envelopes: list[ArticleEnvelope], exc: BaseException, *,
                 stage: str) -> None:
        """Keep refused articles (whole records) and count them as quarantined."""
        documents = {}
        for env in envelopes:
            # Listed under the job that counts it (the ledger's), whatever the record says.
            origin = env.article.origin.model_copy(update={"job_id": env.job_id})
            entry = _entry(env.ledger_key, stage, exc, origin)
            entry.record = env.article.model_dump(mode="json")
            documents[entry.doc_id] = quarantine_document(entry)
        self.store.put_quarantine(documents)
        count_quarantined(documents.values())
        for env in envelopes:
            self.ledger.record(env.job_id, {env.ledger_key: "quarantined"})
            log.warning("quarantined", stage=stage, origin=env.article.origin.location,
                        reason=str(exc))


def record_location(file_location: str, record_location: str) -> str:
    """'/seeds/a.jsonl' + 'a.jsonl:7' -> '/seeds/a.jsonl:7' (records name their file)."""
    name = file_location.rsplit("/", 1)[-1]
    if record_location.startswith(name):
        return file_location + record_location[len(name):]
    return f"{file_location}#{record_location}"


def _excerpt(raw: bytes | None) -> str | None:
    if raw is None:
        return None
    return raw[: SAMPLE_RAW_CHARS * 4].decode("utf-8", errors="replace")[:SAMPLE_RAW_CHARS]


def _entry(item_key: str, stage: str, exc: BaseException, origin: Origin) -> QuarantineEntry:
    code = exc.reason_code if isinstance(exc, QuarantineError) else "internal_error"
    earlier = lineage_of(item_key)  # a replayed item failing again: one more attempt
    return QuarantineEntry.model_validate(
        {
            "item_key": item_key, "stage": stage, "reason": str(exc) or type(exc).__name__,
            "reason_code": code, "error_class": type(exc).__name__, "origin": origin,
            "attempts": earlier.attempts + 1 if earlier else 1,
            "first_quarantined_at": earlier.first_quarantined_at if earlier else None,
        }
    )
