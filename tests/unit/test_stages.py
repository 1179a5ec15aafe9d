"""Each stage's branches with fake adapters: nothing that enters is lost, by counting."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.unit.fakes import FakeEnricher, FakeFeeds, FakeLedger, FakeOutbox, FakeStore
from worker.errors import NotTextError, TransientError
from worker.feeds.config import FeedConfig
from worker.http import FetchResult, HttpStatusError, UpstreamError
from worker.index.dedup import text_fingerprint
from worker.jobs.keys import envelopes_for
from worker.jobs.submit import GROUP_BYTES, SourceGroups, feed_poll_request, start_ingest
from worker.pipeline.feed_stages import FeedStages
from worker.pipeline.messages import ArticleEnvelope, SourceItem
from worker.pipeline.stages import Stages, batches
from worker.record import Article, Origin
from worker.settings import Settings

SETTINGS = Settings(_env_file=None, batch_size=2)  # type: ignore[call-arg]
ORIGIN = Origin(kind="seed", location="/seeds/a.jsonl", job_id="j")


def make_stages(**store_verdicts: str) -> tuple[Stages, FakeStore, FakeLedger, FakeOutbox]:
    store, ledger, outbox = FakeStore(verdicts=dict(store_verdicts)), FakeLedger(), FakeOutbox()
    return Stages(SETTINGS, store, ledger, outbox, FakeEnricher()), store, ledger, outbox


def article(n: int, title: str | None = None) -> Article:
    return Article(id=f"u{n}", origin=ORIGIN, url=f"https://example.org/{n}",
                   title=title or f"Story {n}",
                   body=f"Story number {n} is about harbour number {n} and its {n} cranes.")


def jsonl(*lines: str) -> SourceItem:
    return SourceItem.from_bytes("j", "j:0", ORIGIN, "\n".join(lines).encode())


def test_long_articles_make_smaller_nlp_batches() -> None:
    """A task holds at most batch_size articles and batch_chars of text, so a batch of long
    reports takes seconds like any other; one longer than the budget travels alone."""
    lengths = [300, 300, 300, 2_000, 100, 100, 100, 100, 100]
    envelopes = [ArticleEnvelope(job_id="j", ledger_key=f"k{n}", article=Article(
        id=f"t{n}", origin=ORIGIN, title="T", body="x" * (length - 1)))
        for n, length in enumerate(lengths)]
    sizes = [[len(e.article.title) + len(e.article.body) for e in b]
             for b in batches(envelopes, 3, max_chars=1_000)]
    assert sizes == [[300, 300, 300], [2_000], [100, 100, 100], [100, 100]]
    assert [e for b in batches(envelopes, 3, max_chars=1_000) for e in b] == envelopes
    assert [len(b) for b in batches(envelopes, 3)] == [3, 3, 3]  # no budget: counts only
    outbox = FakeOutbox()
    settings = SETTINGS.model_copy(update={"batch_size": 3, "batch_chars": 10_000})
    Stages(settings, FakeStore(), FakeLedger(), outbox, FakeEnricher()).send_to_nlp(envelopes)
    assert [len(b) for b in outbox.enriched] == [3, 3, 3]  # the stage applies the setting
    settings = settings.model_copy(update={"batch_chars": 1_000})
    outbox = FakeOutbox()
    Stages(settings, FakeStore(), FakeLedger(), outbox, FakeEnricher()).send_to_nlp(envelopes)
    assert [len(b) for b in outbox.enriched] == [3, 1, 3, 2]


def test_articles_go_to_nlp_with_their_texts_fingerprints() -> None:
    stages, _, _, outbox = make_stages()
    envelopes = envelopes_for("j", "j:0", [article(1), article(2)])
    stages.send_to_nlp(envelopes)
    sent = [e.article for b in outbox.enriched for e in b]
    assert [a.id for a in sent] == ["u1", "u2"]
    assert all(a.fingerprint == text_fingerprint(a.title, a.body) for a in sent)


def test_source_with_good_and_bad_records_counts_every_record() -> None:
    stages, store, ledger, outbox = make_stages()
    item = jsonl(*[f'{{"title": "T{n}", "body": "Body {n} of a story.", '
                   f'"url": "https://e.org/{n}"}}' for n in range(3)], "{broken")
    assert stages.handle_source(item) == 3
    assert [len(b) for b in outbox.enriched] == [2, 1]  # batches of batch_size
    assert len(ledger.articles) == 4 and ledger.counts() == {"quarantined": 1}
    assert ledger.sources == {"j:0": "parsed"}
    [entry] = store.quarantined.values()
    assert entry["stage"] == "parse" and entry["origin"]["location"].startswith(ORIGIN.location)


def test_unreadable_source_is_one_quarantined_item() -> None:
    stages, store, ledger, outbox = make_stages()
    item = SourceItem.from_bytes("j", "j:0", ORIGIN.model_copy(update={"location": "/s/x.txt"}),
                                 b"\x00\x01\x02binary" * 50)
    assert stages.handle_source(item) == 0
    assert outbox.enriched == [] and ledger.counts() == {"quarantined": 1}
    [entry] = store.quarantined.values()
    assert entry["reason_code"] == NotTextError.reason_code and entry["raw_size"] == 450


def test_enrich_quarantines_the_failing_article_and_passes_the_rest() -> None:
    stages, store, ledger, outbox = make_stages()
    stages.enricher = FakeEnricher(fail={"poison": ValueError("model crashed")})
    envelopes = envelopes_for("j", "j:0", [article(1), article(2, "poison"), article(3)])
    stages.handle_enrich(envelopes)
    [(batch, delay)] = outbox.indexed
    assert [e.article.id for e in batch] == ["u1", "u3"] and delay == 0
    assert all(e.article.ner_status == "ok" for e in batch)
    assert ledger.outcomes == {"j:0#1": "quarantined"}
    [entry] = store.quarantined.values()
    assert entry["stage"] == "enrich" and entry["error_class"] == "ValueError"


def test_index_counts_new_duplicate_and_edited_articles() -> None:
    stages, store, ledger, _ = make_stages()
    first = envelopes_for("j", "j:0", [article(1), article(1), article(2)])
    assert stages.handle_index(first) == []
    assert ledger.outcomes == {"j:0#0": "indexed", "j:0#1": "duplicate", "j:0#2": "indexed"}
    edited = article(2).model_copy(update={"body": "A corrected story about harbour two."})
    again = envelopes_for("k", "k:0", [article(1), edited])
    stages.handle_index(again)
    assert ledger.outcomes["k:0#0"] == "duplicate" and ledger.outcomes["k:0#1"] == "updated"
    assert store.docs["u2"]["version"] == 2 and len(store.docs) == 2


def test_index_quarantines_mapping_rejections_and_requeues_only_retryable_items() -> None:
    stages, store, ledger, outbox = make_stages(u2="mapper_parsing_exception: bad date", u3="429")
    envelopes = envelopes_for("j", "j:0", [article(1), article(2), article(3)])
    stages.index_and_requeue(envelopes)
    assert ledger.outcomes == {"j:0#0": "indexed", "j:0#1": "quarantined"}
    [entry] = store.quarantined.values()
    assert entry["reason_code"] == "index_rejected" and "bad date" in entry["reason"]
    [(retry, delay)] = outbox.indexed
    assert [e.ledger_key for e in retry] == ["j:0#2"] and delay == 5


def test_index_raises_transient_when_every_item_must_be_retried() -> None:
    stages, _, ledger, outbox = make_stages(u1="429")
    with pytest.raises(TransientError):
        stages.index_and_requeue(envelopes_for("j", "j:0", [article(1)]))
    assert ledger.outcomes == {} and outbox.indexed == []  # still queued, nothing lost


def test_near_duplicate_in_the_same_batch_joins_the_first_story() -> None:
    stages, store, _, _ = make_stages()
    body = " ".join(f"word{n}" for n in range(120))
    a = article(1).model_copy(update={"body": body})
    b = article(2).model_copy(update={"body": body + " extra"})
    stages.handle_index(envelopes_for("j", "j:0", [a, b]))
    assert store.docs["u2"]["near_duplicate_of"] == "u1"
    assert store.docs["u2"]["story_id"] == store.docs["u1"]["story_id"] == "u1"


FEED = FeedConfig(url="https://news.example.org/feed.xml")
RSS = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
       b"<item><link>https://news.example.org/1</link><title>One</title>"
       b"<description>Short summary one.</description></item>"
       b"<item><link>https://news.example.org/2</link><title>Two</title>"
       b"<description>Short summary two.</description></item></channel></rss>")


def fetched(body: bytes, url: str = FEED.url) -> FetchResult:
    return FetchResult(url=url, status=200, headers={}, body=body, not_modified=False,
                       etag=None, last_modified=None, content_type="application/rss+xml",
                       retry_after_s=None, cache_ttl_s=None, elapsed_s=0.01)


FeedRig = tuple[FeedStages, FakeFeeds, FakeOutbox, FakeLedger]


def feed_stages(answer: object, *, fulltext: str = "never") -> FeedRig:
    stages, _, ledger, outbox = make_stages()
    feeds = FakeFeeds(configs=[FEED.model_copy(update={"fulltext": fulltext})])

    def fetch(url: str, policy: object, **_: object) -> FetchResult:
        if isinstance(answer, Exception):
            raise answer
        assert isinstance(answer, FetchResult)
        return answer

    return FeedStages(stages, feeds, fetch, None), feeds, outbox, ledger


def test_schedule_queues_each_due_feed_once_while_leased() -> None:
    stages, _, outbox, ledger = feed_stages(fetched(RSS))
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert stages.schedule_due(now) == 1 and stages.schedule_due(now) == 0
    [poll] = outbox.polls
    assert poll.job_id.startswith(f"feed-{FEED.feed_id}-")
    assert ledger.sources == {poll.source_key: "pending"}


def test_poll_sends_new_entries_to_nlp_then_nothing_when_unchanged() -> None:
    stages, feeds, outbox, ledger = feed_stages(fetched(RSS))
    cfg = feeds.configs[0]
    stages.handle_poll(feed_poll_request(cfg, "j"))
    assert sum(len(b) for b in outbox.enriched) == 2
    assert len(ledger.articles) == 2 and feeds.released == [FEED.feed_id]
    stages.handle_poll(feed_poll_request(cfg, "j2"))
    assert sum(len(b) for b in outbox.enriched) == 2


def test_poll_of_summary_only_entries_goes_to_fulltext() -> None:
    stages, feeds, outbox, _ = feed_stages(fetched(RSS), fulltext="always")
    stages.handle_poll(feed_poll_request(feeds.configs[0], "j"))
    assert len(outbox.fulltexts) == 2


def test_poll_of_a_feed_that_is_down_fails_the_source_and_frees_the_lease() -> None:
    stages, feeds, _, ledger = feed_stages(UpstreamError("502 bad gateway", status=502))
    request = feed_poll_request(FEED, "j")
    stages.handle_poll(request)
    assert ledger.sources[request.source_key] == "failed"
    assert feeds.states[FEED.feed_id].consecutive_errors == 1
    assert feeds.released == [FEED.feed_id]


def test_poll_of_a_non_feed_quarantines_the_body() -> None:
    stages, _, _, ledger = feed_stages(fetched(b"<html><body>not a feed</body></html>"))
    request = feed_poll_request(FEED, "j")
    stages.handle_poll(request)
    assert ledger.counts() == {"quarantined": 1}


def test_fulltext_that_cannot_be_had_keeps_the_summary_and_says_why() -> None:
    stages, _, outbox, _ = feed_stages(HttpStatusError("404 not found", status=404))
    env = ArticleEnvelope(job_id="j", ledger_key="j:0#0", article=article(1))
    stages.handle_fulltext(env)
    [[sent]] = outbox.enriched
    assert sent.article.body == env.article.body
    assert sent.article.provenance[-1].name.startswith("unavailable:")


def test_fulltext_replaces_the_summary_with_the_page_text() -> None:
    page = ("<html><head><title>One</title></head><body><article><h1>One</h1>"
            + "".join(f"<p>Paragraph {n} of the long page text about the harbour strike "
                      f"and the cranes that stood still all week.</p>" for n in range(8))
            + "</article></body></html>").encode()
    stages, _, outbox, _ = feed_stages(fetched(page, url="https://example.org/1"))
    env = ArticleEnvelope(job_id="j", ledger_key="j:0#0",
                          article=article(1).model_copy(update={"body_source": "feed_summary"}))
    stages.handle_fulltext(env)
    [[sent]] = outbox.enriched
    assert "Paragraph 7" in sent.article.body and sent.article.summary == env.article.body


def test_one_article_files_are_parsed_together_and_fill_nlp_batches(tmp_path: Path) -> None:
    """A folder of one-article files: one parse task and full NLP batches, not one per file."""
    for n in range(5):
        (tmp_path / f"story_{n}.txt").write_text(f"Title {n}\n\nHarbour story number {n}.\n")
    (tmp_path / "broken.json").write_text("{broken")
    stages, store, ledger, outbox = make_stages()
    job = start_ingest([str(tmp_path)], SETTINGS.model_copy(update={"batch_size": 3}),
                       ledger, outbox, {})
    assert [len(g) for g in outbox.groups] == [3, 3]  # six files, batch_size 3
    for group in outbox.groups:
        stages.handle_sources(group)
    # broken.json + two stories, then three stories: NLP batches of the stages' batch_size 2
    assert [len(b) for b in outbox.enriched] == [2, 2, 1]
    assert ledger.counts() == {"quarantined": 1} and len(ledger.articles) == 6
    assert all(state in ("parsed", "quarantined") for state in ledger.sources.values())
    assert {e.job_id for b in outbox.enriched for e in b} == {job}
    [entry] = store.quarantined.values()
    assert entry["origin"]["location"].endswith("broken.json")


def test_source_groups_close_on_file_count_and_on_bytes() -> None:
    groups = SourceGroups(files=2)
    small = jsonl('{"title": "T", "body": "B", "url": "https://e.org/1"}')
    big = SourceItem.from_bytes("j", "j:1", ORIGIN, b"x" * (GROUP_BYTES // 2))
    assert groups.add(small) is None and groups.add(small) is None
    assert groups.add(big) == [small, small]  # two files: full
    assert groups.add(big) == [big]  # would pass GROUP_BYTES (base64 is 4/3 the size)
    assert groups.rest() == [big] and groups.rest() == []
