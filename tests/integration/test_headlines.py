"""Headlines through the real workers: a feed entry with a title and a link but no text is
indexed (with its page's text when there is one), counted and found by its title."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from tests.integration.conftest import Stack
from tests.integration.feed_server import FeedServer, Route, serve

pytestmark = pytest.mark.integration

PAGE = """<!doctype html><html lang="en"><head><title>{title}</title></head><body>
<article><h1>{title}</h1><p>The ferry company said on Tuesday that crossings to the islands
would stop for a week while the old quay is rebuilt, {marker} pagetext.</p>
<p>Passengers with tickets can travel on the morning boat from the north harbour instead,
the company said, and refunds are offered to everyone else.</p></article></body></html>
"""


def headlines(server: FeedServer, marker: str) -> bytes:
    """Two headline-only entries (one page served, one gone) and one with nothing at all."""
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Headlines {marker}</title><link>{server.url('/')}</link>
<item><title>Ferry crossings suspended for quay repairs {marker}</title>
<link>{server.url('/h/1')}</link><pubDate>Tue, 03 Mar 2026 07:00:00 GMT</pubDate></item>
<item><title>Lighthouse keepers return to Rotterdam {marker}</title>
<link>{server.url('/h/gone')}</link><pubDate>Tue, 03 Mar 2026 08:00:00 GMT</pubDate></item>
<item><link>{server.url('/h/empty')}</link><description> </description></item>
</channel></rss>""".encode()


def test_headline_only_entries_are_indexed_counted_and_found_by_title(
    stack: Stack, tmp_path: Path
) -> None:
    marker = uuid.uuid4().hex[:12]
    with serve() as server:
        server.routes["/feed.xml"] = Route(headlines(server, marker))
        title = f"Ferry crossings suspended for quay repairs {marker}"
        server.routes["/h/1"] = Route(PAGE.format(title=title, marker=marker).encode(),
                                      "text/html; charset=utf-8")
        job = stack.json("ingest", server.url("/feed.xml"), "--wait", "--timeout", "300")
        assert job["done"] and job["errors"] == []
        # Both headlines are indexed; the entry with neither title nor text is quarantined.
        assert (job["submitted"], job["indexed"], job["quarantined"]) == (3, 2, 1)

        # The page the headline links to gave it its text.
        [ferry] = stack.hits(f"{marker} pagetext")
        assert ferry["title"] == title
        assert stack.json("show", ferry["id"])["body_source"] == "page"

        # The headline whose page is gone is indexed by its title, found by a title word.
        [keepers] = stack.hits(f"lighthouse {marker}")
        assert keepers["title"] == f"Lighthouse keepers return to Rotterdam {marker}"
        shown = stack.json("show", keepers["id"])
        assert (shown["body_source"], shown["body"]) == ("headline", "")
        assert keepers["id"] in {h["id"] for h in stack.hits("keepers", "--limit", "50")}

    # A text seed that is a title line alone is a headline too: its title stays its title.
    seed = tmp_path / "headline.txt"
    seed.write_text(f"Harbour pilots vote to strike {marker}\n", encoding="utf-8")
    assert stack.json("ingest", str(seed), "--wait")["indexed"] == 1
    [pilots] = stack.hits(f"pilots {marker}")
    assert pilots["title"] == f"Harbour pilots vote to strike {marker}"
    assert stack.json("show", pilots["id"])["body_source"] == "headline"
