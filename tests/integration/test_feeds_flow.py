"""Feeds through the real workers: fetch, full text, conditional GET, dedup, beat, health."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest

from tests.integration.conftest import Stack
from tests.integration.feed_server import FeedServer, Route, serve

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
        [tram] = stack.json("search", f"{marker} fullpage")
        assert tram["url"] == server.url("/a/2")
        doc = stack.json("search", "", "--entity", "LOC:Zagreb", "--limit", "50")
        assert any(h["id"] == tram["id"] for h in doc)
        # The entry whose page is gone is indexed with its summary: nothing is lost.
        [museum] = stack.json("search", f"Museums {marker}")
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
        [tram] = stack.json("search", f"{marker} fullpage")
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
            while time.monotonic() < deadline and not stack.json("search", f"{marker} fullpage"):
                time.sleep(1)
            assert stack.json("search", f"{marker} fullpage")
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
        [harbour] = stack.json("search", f"Harbour reopens {marker}")
        assert harbour["version"] == 2
        assert stack.json("search", f"{marker} 2 pm")  # the new text is what is searchable
