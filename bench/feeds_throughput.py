"""Parse throughput of ``parse_feed`` on a generated RSS 2.0 feed, in entries per second.

Usage: python bench/feeds_throughput.py [N_ENTRIES]   (default 5000)
"""

from __future__ import annotations

import sys
import time

from worker.sources.feed_documents import parse_feed


def generated_rss(n_entries: int) -> bytes:
    """A realistic RSS 2.0 document: content:encoded HTML, dc:creator, pubDate, categories."""
    items = "".join(
        f"""<item>
  <title>Story {i}: harbour council approves budget &amp; new ferry route</title>
  <link>https://news.example.com/{2024 + i % 2}/story-{i}?utm_source=rss</link>
  <guid isPermaLink="false">news.example.com-{i}</guid>
  <pubDate>Wed, {1 + i % 28:02d} Jan 2025 {i % 24:02d}:{i % 60:02d}:00 +0100</pubDate>
  <dc:creator>Reporter {i % 37}</dc:creator>
  <category>Local</category>
  <description><![CDATA[<p>The council voted {i % 9} to 2 on the budget&hellip;</p>]]></description>
  <content:encoded><![CDATA[<p>The harbour council approved the budget on Tuesday.</p>
<p>The new ferry route starts in <strong>spring</strong>, officials said.</p>
<ul><li>Cost: {i * 7} thousand</li><li>Stops: {i % 5 + 2}</li></ul>]]></content:encoded>
</item>
"""
        for i in range(n_entries)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/">\n<channel>\n'
        "<title>Harbour News</title><link>https://news.example.com/</link>"
        f"<description>Generated</description><ttl>30</ttl>\n{items}</channel>\n</rss>\n"
    ).encode()


def bench_parse(n_entries: int = 5000, *, repeats: int = 3) -> float:
    """Entries per second of the best of ``repeats`` parses of an ``n_entries`` feed."""
    body = generated_rss(n_entries)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        feed = parse_feed(body, max_entries=n_entries)
        best = min(best, time.perf_counter() - start)
        if len(feed.entries) != n_entries:
            raise AssertionError(f"parsed {len(feed.entries)} entries, expected {n_entries}")
    return n_entries / best


def main(argv: list[str]) -> int:
    """Print the throughput for the entry count given on the command line."""
    n_entries = int(argv[1]) if len(argv) > 1 else 5000
    rate = bench_parse(n_entries)
    size = len(generated_rss(n_entries))
    print(f"parse_feed: {rate:,.0f} entries/s on a {n_entries}-entry RSS 2.0 feed "
          f"({size / 1e6:.1f} MB), best of 3")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
