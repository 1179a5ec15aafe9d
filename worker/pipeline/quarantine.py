"""Keeping what was refused: each refusal becomes a quarantine document with its reason and
counts as ``quarantined`` in its job, so nothing that entered is ever silently dropped."""

from __future__ import annotations

import structlog

from worker.errors import QuarantineError
from worker.index.documents import QuarantineEntry, quarantine_document
from worker.pipeline.messages import ArticleEnvelope, SourceItem
from worker.pipeline.ports import Ledger, Store
from worker.record import Origin
from worker.sources.seed_common import RecordError

log = structlog.get_logger(__name__)


class Quarantine:
    """Writes refusals to the quarantine index and counts them in the job ledger."""

    def __init__(self, store: Store, ledger: Ledger) -> None:
        self.store = store
        self.ledger = ledger

    def source(self, item: SourceItem, exc: BaseException, *, stage: str) -> None:
        """Keep a refused source (with its bytes) and count it as quarantined."""
        entry = _entry(item.key, stage, exc, item.origin)
        entry.raw = item.content() if item.content_b64 is not None else None
        self.store.put_quarantine({entry.doc_id: quarantine_document(entry)})
        self.ledger.source_quarantined(item.job_id, item.key)
        log.warning("quarantined", stage=stage, origin=item.origin.location, reason=str(exc))

    def records(self, item: SourceItem, errors: dict[str, RecordError]) -> None:
        """Keep the bad records of a file whose good records go on, each with its reason."""
        documents = {}
        for key, error in errors.items():
            origin = item.origin.model_copy(
                update={"location": record_location(item.origin.location, error.location)}
            )
            entry = _entry(key, "parse", error.to_exception(), origin)
            entry.raw = error.raw
            documents[entry.doc_id] = quarantine_document(entry)
        self.store.put_quarantine(documents)
        self.ledger.record(item.job_id, dict.fromkeys(errors, "quarantined"))
        log.warning("quarantined records", origin=item.origin.location, count=len(errors))

    def articles(self, envelopes: list[ArticleEnvelope], exc: BaseException, *,
                 stage: str) -> None:
        """Keep refused articles (whole records) and count them as quarantined."""
        documents = {}
        for env in envelopes:
            entry = _entry(env.ledger_key, stage, exc, env.article.origin)
            entry.record = env.article.model_dump(mode="json")
            documents[entry.doc_id] = quarantine_document(entry)
        self.store.put_quarantine(documents)
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


def _entry(item_key: str, stage: str, exc: BaseException, origin: Origin) -> QuarantineEntry:
    code = exc.reason_code if isinstance(exc, QuarantineError) else "internal_error"
    return QuarantineEntry.model_validate(
        {
            "item_key": item_key, "stage": stage, "reason": str(exc) or type(exc).__name__,
            "reason_code": code, "error_class": type(exc).__name__, "origin": origin,
        }
    )
