"""Document ids are deterministic, so re-ingesting the same article is idempotent."""

from __future__ import annotations

from worker.record import article_id, normalise_url


def test_same_text_same_id_across_whitespace_and_case() -> None:
    a = article_id(url=None, title="Putin dan Obama", body="Kremlin  mengatakan\n\nsesuatu.")
    b = article_id(url=None, title="putin dan obama", body="Kremlin mengatakan sesuatu.")
    assert a == b
    assert a.startswith("t") and len(a) == 33


def test_different_text_different_id() -> None:
    one = article_id(url=None, title="A", body="one")
    assert one != article_id(url=None, title="A", body="two")


def test_url_id_ignores_tracking_fragment_and_host_case() -> None:
    a = article_id(url="https://News.example.com/a/b?id=3&utm_source=x#top", title="", body="")
    b = article_id(url="https://news.example.com/a/b?id=3", title="other", body="other")
    assert a == b and a.startswith("u")


def test_url_id_keeps_meaningful_query() -> None:
    assert normalise_url("http://x.org/p?id=1") != normalise_url("http://x.org/p?id=2")
    assert normalise_url("HTTP://X.org:80//p?b=2&a=1") == "http://x.org/p?a=1&b=2"
