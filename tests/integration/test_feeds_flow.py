"""Feeds through the real workers: fetch, full text, conditional GET, dedup, beat, health."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest

from tests.integration.conftest import Stack
from tests.integration.feed_server import FeedServer, Route, serve
from worker.http import BlockedAddressError, FetchPolicy, RobotsDisallowedError, fetch
from worker.http.robots import RobotsCache, RobotsGate
from worker.record import article_id

pytestmark = pytest.mark.integration

PAGE = """<!doctype html><html lang="en"><head><title>{title}</title>
<link rel="canonical" href="{canonical}">
<meta property="article:published_time" content="2026-03-02T08:00:00Z">
</head><body><nav>Home | World | Sport | Login</nav><article><h1>{title}</h1>
<p>{p1}</p><p>{p2}</p><p>{p3}</p></article><footer>Copyright Example News</footer></body></html>
"""


def rss(server: FeedServer, marker: str) -> bytes:
    """An RSS 2.0 feed: one full-content entry, one summary-only, one whose page is gone."""
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel><title>Example News {marker}</title><link>{server.url('/')}</link>
<item><guid>{server.url('/a/1')}</guid><link>{server.url('/a/1')}</link>
<title>Harbour reopens after storm {marker}</title>
<pubDate>Mon, 02 Mar 2026 07:00:00 GMT</pubDate>
<description>Short teaser.</description>
<content:encoded><![CDATA[<p>The harbour of Split reopened on Monday after a storm closed it
for three days, the port authority said.</p><p>Ferries to the islands resumed at noon.
{marker}</p>]]></content:encoded></item>
<item><guid>{server.url('/a/2')}</guid><link>{server.url('/a/2')}?utm_source=rss&amp;utm_medium=feed</link>
<title>Tram line approved {marker}</title><pubDate>Mon, 02 Mar 2026 08:00:00 GMT</pubDate>
<description>The council approved a tram line.</description></item>
<item><guid>{server.url('/gone')}</guid><link>{server.url('/gone')}</link>
<title>Museum night {marker}</title><description>Museums stay open late on Friday
{marker} in Zagreb, the city said.</description></item>
</channel></rss>""".encode()


def article_page(server: FeedServer, marker: str) -> bytes:
    return PAGE.format(
        title=f"Tram line approved {marker}", canonical=server.url("/a/2"),
        p1="The city council of Zagreb approved a new tram line to the airport on Monday, "
           "after two years of debate about its cost and route.",
        p2=f"Construction starts next spring and should take two years {marker} fullpage.",
        p3="Opposition members said the budget of 120 million euros was too optimistic.",
    ).encode()


def test_feed_ingested_with_full_text_then_not_modified(stack: Stack) -> None:
    marker = uuid.uuid4().hex[:12]
    with serve() as server:
        server.routes["/feed.xml"] = Route(rss(server, marker), etag='"v1"')
        server.routes["/a/2"] = Route(article_page(server, marker), "text/html; charset=utf-8")
        first = stack.json("ingest", server.url("/feed.xml"), "--wait", "--timeout", "300")
        assert first["done"] and first["errors"] == []
        assert (first["submitted"], first["indexed"]) == (3, 3)

        # The summary-only entry got the page's main text (not its navigation) and the
        # canonical URL, without the tracking parameters of the feed's link.
        [tram] = stack.hits(f"{marker} fullpage")
        assert tram["url"] == server.url("/a/2")
        doc = stack.hits("", "--entity", "LOC:Zagreb", "--limit", "50")
        assert any(h["id"] == tram["id"] for h in doc)
        # The entry whose page is gone is indexed with its summary: nothing is lost.
        [museum] = stack.hits(f"Museums {marker}")
        assert museum["title"] == f"Museum night {marker}"

        second = stack.json("ingest", server.url("/feed.xml"), "--wait", "--timeout", "300")
        assert (second["submitted"], second["indexed"]) == (0, 0)
        assert server.hits("/feed.xml")[-1].get("if-none-match") == '"v1"'
        assert len(server.hits("/a/2")) == 1  # the page is not fetched again


def test_same_story_from_feed_and_seed_file_is_one_document(
    stack: Stack, tmp_path: Path
) -> None:
    marker = uuid.uuid4().hex[:12]
    with serve() as server:
        server.routes["/feed.xml"] = Route(rss(server, marker))
        server.routes["/a/2"] = Route(article_page(server, marker), "text/html; charset=utf-8")
        assert stack.json("ingest", server.url("/feed.xml"), "--wait")["indexed"] == 3
        # The same page saved as a seed file: its canonical link makes it the same article.
        seed = tmp_path / "saved-page.html"
        seed.write_bytes(article_page(server, marker))
        again = stack.json("ingest", str(seed), "--wait")
        assert (again["indexed"], again["duplicates"]) == (0, 1)
        [tram] = stack.hits(f"{marker} fullpage")
        assert tram["origins"] == [server.url("/feed.xml"), str(seed)]


def test_beat_polls_added_feeds_and_lists_a_failing_one(stack: Stack) -> None:
    marker = uuid.uuid4().hex[:12]
    with serve() as server:
        server.routes["/good.xml"] = Route(rss(server, marker))
        server.routes["/a/2"] = Route(article_page(server, marker), "text/html; charset=utf-8")
        server.routes["/broken.xml"] = Route(b"oops", "text/plain", status=500)
        good = stack.json("feeds", "add", server.url("/good.xml"), "--name", "good")
        bad = stack.json("feeds", "add", server.url("/broken.xml"), "--name", "broken")
        try:
            deadline = time.monotonic() + 120
            rows: dict[str, dict[str, object]] = {}
            while time.monotonic() < deadline:
                rows = {r["id"]: r for r in stack.json("feeds", "list")}
                if rows[good["id"]]["last_success_at"] and rows[bad["id"]]["last_error"]:
                    break
                time.sleep(1)
            assert rows[good["id"]]["status"] == "ok"
            assert rows[bad["id"]]["consecutive_errors"] >= 1
            assert "500" in str(rows[bad["id"]]["last_error"])
            assert rows[bad["id"]]["next_poll_at"]  # still scheduled: never abandoned
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and not stack.hits(f"{marker} fullpage"):
                time.sleep(1)
            assert stack.hits(f"{marker} fullpage")
        finally:
            stack.cli("feeds", "remove", good["id"])
            stack.cli("feeds", "remove", bad["id"])


def test_an_edited_entry_updates_its_document_with_a_version(stack: Stack) -> None:
    marker = uuid.uuid4().hex[:12]
    with serve() as server:
        server.routes["/feed.xml"] = Route(rss(server, marker))
        server.routes["/a/2"] = Route(article_page(server, marker), "text/html; charset=utf-8")
        assert stack.json("ingest", server.url("/feed.xml"), "--wait")["indexed"] == 3
        edited = rss(server, marker).replace(b"Ferries to the islands resumed at noon.",
                                             b"Ferries to the islands resumed at 2 pm.")
        server.routes["/feed.xml"] = Route(edited)
        again = stack.json("ingest", server.url("/feed.xml"), "--wait")
        assert (again["submitted"], again["updated"], again["indexed"]) == (1, 1, 0)
        [harbour] = stack.hits(f"Harbour reopens {marker}")
        assert harbour["version"] == 2
        assert stack.hits(f"{marker} 2 pm")  # the new text is what is searchable


ROBOTS_TXT = b"# test site\nUser-agent: *\nDisallow: /private/\n"


def two_summaries(server: FeedServer, marker: str) -> bytes:
    """An RSS feed of two summary-only entries: one page robots.txt allows, one it does not."""
    return f"""<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>
<title>Robots {marker}</title><link>{server.url('/')}</link>
<item><guid>{server.url('/a/2')}</guid><link>{server.url('/a/2')}</link>
<title>Tram line approved {marker}</title><description>The council approved a tram
line.</description></item>
<item><guid>{server.url('/private/3')}</guid><link>{server.url('/private/3')}</link>
<title>Members only {marker}</title><description>Council members met behind closed doors
{marker} robotsummary.</description></item>
</channel></rss>""".encode()


def es_document(stack: Stack, doc_id: str) -> dict[str, object]:
    from elasticsearch import Elasticsearch

    env_file = Path(stack.env["NEWSWORKER_STATE_DIR"]) / "dev.env"
    es_url = next(line.split("=", 1)[1] for line in env_file.read_text().splitlines()
                  if line.startswith("NEWSWORKER_ELASTICSEARCH_URL="))
    source: dict[str, object] = Elasticsearch(es_url).get(index="news-articles",
                                                          id=doc_id)["_source"]
    return source


def test_robots_txt_disallowed_page_is_not_fetched_and_its_entry_is_indexed(
    stack: Stack,
) -> None:
    marker = uuid.uuid4().hex[:12]
    with serve() as server:
        server.routes["/robots.txt"] = Route(ROBOTS_TXT, "text/plain; charset=utf-8")
        server.routes["/feed.xml"] = Route(two_summaries(server, marker))
        server.routes["/a/2"] = Route(article_page(server, marker), "text/html; charset=utf-8")
        server.routes["/private/3"] = Route(article_page(server, marker + " private"),
                                            "text/html; charset=utf-8")
        summary = stack.json("ingest", server.url("/feed.xml"), "--wait", "--timeout", "300")
        assert summary["done"] and (summary["submitted"], summary["indexed"]) == (2, 2)

        assert server.hits("/private/3") == []  # disallowed: never requested
        assert len(server.hits("/a/2")) == 1  # allowed: fetched, its full text indexed
        [robots] = server.hits("/robots.txt")  # once for both pages, as ourselves
        assert robots["user-agent"].startswith("newsworker/")
        assert server.hits("/feed.xml")  # the feed itself is not subject to robots.txt
        assert stack.hits(f"{marker} fullpage")

        # The refused entry is indexed with its feed text, and says why it has no more.
        [members] = stack.hits(f"{marker} robotsummary")
        assert members["title"] == f"Members only {marker}"
        doc = es_document(stack, article_id(url=server.url("/private/3"), title="", body=""))
        assert doc["body_source"] == "feed_summary"
        provenance = doc["provenance"]
        assert isinstance(provenance, list)
        assert [p["name"] for p in provenance if p["stage"] == "fulltext"] == [
            "unavailable:robots_disallowed"]


def test_robots_txt_of_every_redirect_hop_through_the_real_client() -> None:
    policy = FetchPolicy(allow_private_networks=True, user_agent="newsworker-test/1.0")
    with serve() as first, serve() as cdn:
        cdn.routes["/robots.txt"] = Route(b"User-agent: newsworker-test\nDisallow: /\n",
                                          "text/plain")
        cdn.routes["/page"] = Route(b"<html><p>page</p></html>", "text/html")
        first.routes["/moved"] = Route(b"", "text/plain", status=302,
                                       headers={"Location": cdn.url("/page")})
        first.routes["/open"] = Route(b"<html><p>open</p></html>", "text/html")
        gate = RobotsGate(fetch, ttl_s=60, cache=RobotsCache())
        assert gate.fetch(first.url("/open"), policy).body.startswith(b"<html>")  # 404 robots
        with pytest.raises(RobotsDisallowedError):
            gate.fetch(first.url("/moved"), policy)
        assert cdn.hits("/page") == [] and len(cdn.hits("/robots.txt")) == 1
        assert len(first.hits("/robots.txt")) == 1 and len(first.hits("/moved")) == 1

        # robots.txt goes through the same address guard as the page: nothing is requested.
        before = len(first.requests)
        with pytest.raises(BlockedAddressError):
            RobotsGate(fetch, ttl_s=60, cache=RobotsCache()).fetch(
                first.url("/open"), FetchPolicy(allow_private_networks=False))
        assert len(first.requests) == before
