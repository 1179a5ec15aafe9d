"""The stages count what an operator reads off the endpoint: articles parsed and written,
refusals by stage and reason code, NLP words and time, feed errors (this process's registry)."""

from __future__ import annotations

from collections import Counter

from prometheus_client import REGISTRY

from tests.unit.fakes import FakeEnricher, FakeLedger, FakeOutbox, FakeStore
from tests.unit.shipped_config import ENRICHER
from worker.errors import NotTextError, TransientError
from worker.http import HttpStatusError
from worker.jobs.keys import envelopes_for
from worker.metrics.counting import count_feed_error, count_quarantined, error_kind
from worker.pipeline.messages import SourceItem
from worker.pipeline.ports import Enricher
from worker.pipeline.stages import Stages
from worker.record import Article, Origin
from worker.settings import Settings

SETTINGS = Settings(_env_file=None, batch_size=10)
ORIGIN = Origin(kind="seed", location="/seeds/a.jsonl", job_id="j")


def value(name: str, **labels: str) -> float:
    """A sample of this process's registry (0 before the series exists)."""
    return REGISTRY.get_sample_value(name, labels) or 0.0


def make_stages(enricher: Enricher | None = None) -> tuple[Stages, FakeStore, FakeOutbox]:
    store, outbox = FakeStore(), FakeOutbox()
    return Stages(SETTINGS, store, FakeLedger(), outbox, enricher or FakeEnricher()), store, outbox


def article(n: int) -> Article:
    return Article(id=f"u{n}", origin=ORIGIN, url=f"https://example.org/{n}",
                   title=f"Harbour strike day {n}",
                   body=f"Dock workers in Rotterdam stopped work for the {n}th day on Monday, "
                        "the union said, and ships waited outside the port.")


def quarantined_counts() -> Counter[tuple[str, str]]:
    """newsworker_quarantined_total by (stage, reason_code), as the endpoint would list it."""
    return Counter({(s.labels["stage"], s.labels["reason_code"]): int(s.value)
                    for metric in REGISTRY.collect() if metric.name == "newsworker_quarantined"
                    for s in metric.samples if s.name.endswith("_total")})


def test_quarantine_counts_match_the_entries_written_by_stage_and_reason() -> None:
    stages, store, _ = make_stages()
    lines = [f'{{"title": "T{n}", "body": "Body {n} of a story.", "url": "https://e.org/{n}"}}'
             for n in range(3)] + ["{broken", '{"title": ""}']
    good = SourceItem.from_bytes("j", "j:0", ORIGIN, "\n".join(lines).encode())
    binary = SourceItem.from_bytes("j", "j:1", ORIGIN.model_copy(update={"location": "/s/x.txt"}),
                                   b"\x00\x01\x02binary" * 50)
    before, parsed = quarantined_counts(), value("newsworker_articles_parsed_total",
                                                 source_kind="seed")

    assert stages.handle_source(good) == 3
    assert stages.handle_source(binary) == 0

    entries = Counter((d["stage"], d["reason_code"]) for d in store.quarantined.values())
    assert entries.total() == 3 and entries[("parse", NotTextError.reason_code)] == 1
    assert quarantined_counts() - before == entries
    assert value("newsworker_articles_parsed_total", source_kind="seed") - parsed == 3


def test_index_outcomes_count_new_then_duplicate() -> None:
    stages, _, _ = make_stages()
    batch = envelopes_for("j", "j:0", [article(1), article(2)])
    indexed = value("newsworker_articles_written_total", outcome="indexed")
    duplicate = value("newsworker_articles_written_total", outcome="duplicate")
    stages.handle_index(batch)
    assert value("newsworker_articles_written_total", outcome="indexed") - indexed == 2
    stages.handle_index(envelopes_for("j2", "j2:0", [article(1)]))
    assert value("newsworker_articles_written_total", outcome="duplicate") - duplicate == 1
    assert value("newsworker_articles_written_total", outcome="indexed") - indexed == 2


def test_nlp_words_and_seconds_of_a_real_enrichment() -> None:
    stages, _, outbox = make_stages(ENRICHER)
    words, seconds = value("newsworker_nlp_words_total"), value("newsworker_nlp_seconds_total")
    stages.handle_enrich(envelopes_for("j", "j:0", [article(1), article(2)]))
    [(batch, _)] = outbox.indexed
    expected = sum(env.article.word_count for env in batch)
    assert expected > 20
    assert value("newsworker_nlp_words_total") - words == expected
    spent = value("newsworker_nlp_seconds_total") - seconds
    assert spent > 0
    assert value("newsworker_nlp_last_batch_words_per_second") == expected / spent


def test_feed_errors_are_labelled_by_reason_code_or_error_class() -> None:
    not_found = HttpStatusError("404 from https://e.org/feed", status=404)
    assert error_kind(not_found) == not_found.reason_code
    assert error_kind(TransientError("timeout")) == "TransientError"
    before = value("newsworker_feed_poll_errors_total", kind=not_found.reason_code)
    count_feed_error(not_found)
    assert value("newsworker_feed_poll_errors_total", kind=not_found.reason_code) - before == 1


def test_a_count_that_cannot_be_made_never_raises_into_the_stage() -> None:
    before = value("newsworker_quarantined_total", stage="parse", reason_code="empty")
    count_quarantined([{"stage": "parse"}, {"stage": "parse", "reason_code": "empty"}])
    # The malformed entry is skipped with a warning; the call returned normally.
    assert value("newsworker_quarantined_total", stage="parse", reason_code="empty") == before
