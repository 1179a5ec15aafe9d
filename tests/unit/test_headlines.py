"""Headlines kept: a feed entry or a text seed with a title and no text is indexed as a
headline (``body_source`` "headline", empty body); neither title nor text is refused."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from tests.unit.fakes import FakeEnricher, FakeFeeds, FakeLedger, FakeOutbox, FakeStore
from tests.unit.shipped_config import ENRICHER
from worker.feeds.config import FeedConfig
from worker.feeds.fulltext import apply_page
from worker.feeds.poll import needs_fulltext
from worker.http import FetchResult, HttpStatusError
from worker.jobs.submit import feed_poll_request
from worker.pipeline.feed_stages import FeedStages
from worker.pipeline.messages import ArticleEnvelope
from worker.pipeline.stages import Stages
from worker.record import Article, Origin, article_id
from worker.settings import Settings
from worker.sources.feed_documents import entry_to_article, parse_feed
from worker.sources.seed_files import parse_seed_file

NOW = datetime(2025, 3, 1, 12, tzinfo=UTC)
FEED_URL = "https://news.example.org/feed"
TITLE = "Dock workers in Rotterdam walk out over pay"
LINK = "https://news.example.org/2025/storm"

RSS = f"""<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>
<item><title>{TITLE}</title><link>{LINK}</link></item>
<item><title>With text</title><link>https://news.example.org/t</link>
<description>Some text.</description></item>
<item><link>https://news.example.org/nothing</link><description> </description></item>
</channel></rss>""".encode()
ATOM = f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title><id>urn:feed</id>
<updated>2025-03-01T10:00:00Z</updated>
<entry><title>{TITLE}</title><link href="{LINK}"/><id>urn:1</id>
<updated>2025-03-01T10:00:00Z</updated></entry>
<entry><title type="html"></title><link href="https://news.example.org/nothing"/>
<id>urn:2</id><updated>2025-03-01T10:00:00Z</updated><summary></summary></entry>
</feed>""".encode()
JSON_FEED = json.dumps({
    "version": "https://jsonfeed.org/version/1.1", "title": "T",
    "items": [{"id": "1", "url": LINK, "title": TITLE},
              {"id": "2", "url": "https://news.example.org/nothing", "content_text": "  "}],
}).encode()


@pytest.mark.parametrize("raw", [RSS, ATOM, JSON_FEED], ids=["rss", "atom", "jsonfeed"])
def test_a_feed_entry_with_a_title_and_a_link_only_is_a_headline(raw: bytes) -> None:
    headline, *_, nothing = [
        entry_to_article(e, feed_url=FEED_URL, job_id="j", fetched_at=NOW)
        for e in parse_feed(raw).entries]
    assert (headline.title, headline.body, headline.body_source) == (TITLE, "", "headline")
    assert headline.url == LINK and headline.summary is None
    assert (nothing.title, nothing.body) == ("", "")
    assert nothing.body_source != "headline"


@pytest.mark.parametrize(("raw", "name"), [(RSS, "f.rss"), (ATOM, "f.atom"),
                                           (JSON_FEED, "f.json")])
def test_feed_files_keep_headlines_and_refuse_entries_with_neither_title_nor_text(
    raw: bytes, name: str
) -> None:
    parsed = parse_seed_file(raw, Origin(kind="seed", location=f"/seeds/{name}"),
                             max_bytes=10**6, max_text_chars=10**6)
    headline = parsed.articles[0]
    assert (headline.title, headline.body_source) == (TITLE, "headline")
    [error] = parsed.errors
    assert error.reason_code == "empty" and "no title" in error.reason


def _text_seed(raw: bytes) -> Article:
    [article] = parse_seed_file(raw, Origin(kind="seed", location="/seeds/a.txt"),
                                max_bytes=10**6, max_text_chars=10**6).articles
    return article


@pytest.mark.parametrize("raw", [b"Harga BBM naik lagi\n", b"Harga BBM naik lagi\n\n",
                                 b"Harga BBM naik lagi\n\nHarga BBM naik lagi\n"])
def test_a_title_only_text_seed_keeps_its_title_as_title(raw: bytes) -> None:
    article = _text_seed(raw)
    assert (article.title, article.body, article.body_source) == (
        "Harga BBM naik lagi", "", "headline")
    # The id is the one it had when the line was indexed as body: re-ingesting is idempotent.
    assert article.id == article_id(url=None, title="", body="Harga BBM naik lagi")


def test_one_sentence_alone_is_still_body_text() -> None:
    article = _text_seed(b"Only one line of text in this file.")
    assert (article.title, article.body, article.body_source) == (
        "", "Only one line of text in this file.", "seed")


def test_headlines_fetch_their_page_and_the_page_text_makes_them_articles() -> None:
    headline = entry_to_article(parse_feed(RSS).entries[0], feed_url=FEED_URL, job_id="j",
                                fetched_at=NOW)
    assert needs_fulltext(FeedConfig(url=FEED_URL), headline)
    assert not needs_fulltext(FeedConfig(url=FEED_URL, fulltext="never"), headline)
    page = SimpleNamespace(text="The storm hit at dawn.\n\nShips were moored.",
                           canonical_url=None, authors=[], published=None)
    full = apply_page(headline, page, NOW)
    assert (full.body_source, full.summary) == ("page", None)
    assert full.body.startswith("The storm hit")
    empty_page = SimpleNamespace(text="", canonical_url=None, authors=[], published=None)
    assert apply_page(headline, empty_page, NOW).body_source == "headline"


def test_a_headline_is_enriched_from_its_title() -> None:
    headline = entry_to_article(parse_feed(RSS).entries[0], feed_url=FEED_URL, job_id="j",
                                fetched_at=NOW)
    enriched = ENRICHER.enrich(headline)
    assert (enriched.language, enriched.ner_status) == ("en", "ok")
    assert [(m.text, m.label) for m in enriched.mentions] == [("Rotterdam", "LOC")]
    text = enriched.analysed_text
    assert all(text[m.start : m.end] == m.text for m in enriched.mentions)
    assert enriched.word_count == 0 and enriched.keywords  # keyphrases from the title


@pytest.mark.parametrize("title", ["Messi vuelve a Barcelona", "Obama in Berlin", "2024", "AS"])
def test_language_of_a_short_headline_is_never_reliable(title: str) -> None:
    article = Article(id="t1", origin=Origin(kind="seed", location="a.txt"), title=title,
                      body="", body_source="headline")
    enriched = ENRICHER.enrich(article)
    assert enriched.language_reliable is False
    assert enriched.language_confidence is not None and enriched.language_confidence <= 1.0


# --- the feed stages -------------------------------------------------------------------------

SETTINGS = Settings(_env_file=None, batch_size=8)  # type: ignore[call-arg]
FEED = FeedConfig(url=FEED_URL)


def _rig(answer: bytes | Exception, fulltext: str) -> tuple[FeedStages, FakeOutbox, FakeLedger,
                                                             FakeFeeds]:
    ledger, outbox = FakeLedger(), FakeOutbox()
    stages = Stages(SETTINGS, FakeStore(), ledger, outbox, FakeEnricher())
    feeds = FakeFeeds(configs=[FEED.model_copy(update={"fulltext": fulltext})])

    def fetch(url: str, policy: object, **_: object) -> FetchResult:
        if isinstance(answer, Exception):
            raise answer
        return FetchResult(url=url, status=200, headers={}, body=answer, not_modified=False,
                           etag=None, last_modified=None, content_type="application/rss+xml",
                           retry_after_s=None, cache_ttl_s=None, elapsed_s=0.01)

    return FeedStages(stages, feeds, fetch, None), outbox, ledger, feeds


def test_a_poll_indexes_headlines_and_quarantines_entries_without_title_or_text() -> None:
    stages, outbox, ledger, feeds = _rig(RSS, "never")
    stages.handle_poll(feed_poll_request(feeds.configs[0], "j"))
    sent = [env.article for batch in outbox.enriched for env in batch]
    assert [(a.title, a.body_source) for a in sent] == [
        (TITLE, "headline"), ("With text", "feed_summary")]
    assert ledger.counts() == {"quarantined": 1}


def test_a_headline_whose_page_cannot_be_had_is_indexed_as_a_headline() -> None:
    stages, outbox, ledger, _ = _rig(HttpStatusError("404", status=404), "auto")
    headline = entry_to_article(parse_feed(RSS).entries[0], feed_url=FEED_URL, job_id="j",
                                fetched_at=NOW)
    stages.handle_fulltext(ArticleEnvelope(job_id="j", ledger_key="j:0#0", article=headline))
    [[sent]] = outbox.enriched
    assert (sent.article.body_source, sent.article.body) == ("headline", "")
    nothing = headline.model_copy(update={"title": ""})
    stages.handle_fulltext(ArticleEnvelope(job_id="j", ledger_key="j:0#1", article=nothing))
    assert len(outbox.enriched) == 1 and ledger.counts() == {"quarantined": 1}
