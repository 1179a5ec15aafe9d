"""Identity beyond ids: unchanged vs edited vs near-duplicate articles, origins merged."""

from __future__ import annotations

from pathlib import Path

from tests.unit.shipped_config import LAYOUT, TABLES
from worker.index.dedup import best_near_duplicate, fingerprint, merge_origins, similarity
from worker.index.documents import article_document, plan_write
from worker.record import Article, Origin

SAMPLE = (Path(__file__).resolve().parents[2] / "seeds" / "000_fbcae026f709bea4.txt").read_text()
TITLE, BODY = SAMPLE.split("\n", 1)


def _doc(body: str, location: str = "/a.txt", url: str | None = "https://x.org/a") -> dict:  # type: ignore[type-arg]
    article = Article(id="u1", origin=Origin(kind="seed", location=location), url=url,
                      title=TITLE, body=body)
    return article_document(article, TABLES, LAYOUT)


def test_republished_story_with_small_edits_is_a_near_duplicate() -> None:
    edited = BODY.replace("hari Minggu", "hari Senin").replace("Munich", "München")
    a, b = fingerprint(TITLE, BODY), fingerprint(TITLE, edited)
    assert a.content_hash != b.content_hash
    assert similarity(a.minhash, b.minhash) >= 0.8
    assert set(a.bands) & set(b.bands)  # the LSH lookup finds it
    found = best_near_duplicate(b.minhash, [{"id": "t1", "story_id": "t0",
                                            "minhash": list(a.minhash)}])
    assert found is not None and found[:2] == ("t1", "t0")


def test_different_stories_are_not_near_duplicates() -> None:
    other = (Path(__file__).resolve().parents[2] / "seeds" / "en_harbour_strike.txt").read_text()
    a, b = fingerprint(TITLE, BODY), fingerprint("", other)
    assert similarity(a.minhash, b.minhash) < 0.3
    assert best_near_duplicate(b.minhash, [{"id": "t1", "minhash": list(a.minhash)}]) is None


def test_short_texts_get_no_bands() -> None:
    assert fingerprint("Short", "Too short to compare.").bands == ()


def test_plan_new_unchanged_and_new_origin() -> None:
    new = _doc(BODY)
    assert plan_write(new, None).action == "create"
    same = plan_write(_doc(BODY), new)
    assert (same.action, same.outcome) == ("skip", "duplicate")
    other_origin = plan_write(_doc(BODY, location="/b.txt"), new)
    assert (other_origin.action, other_origin.outcome) == ("index", "duplicate")
    assert [o["location"] for o in other_origin.document["origins"]] == ["/a.txt", "/b.txt"]


def test_plan_edited_article_is_a_new_version_of_the_same_document() -> None:
    first = {**_doc(BODY), "story_id": "u1", "version": 2}
    edited = plan_write(_doc(BODY + "\n\nKoreksi: judul diperbarui."), first)
    assert (edited.action, edited.outcome) == ("index", "updated")
    assert edited.document["version"] == 3
    assert edited.document["indexed_at"] == first["indexed_at"]
    assert edited.document["story_id"] == "u1"
    assert edited.document["body"].endswith("Koreksi: judul diperbarui.")


def test_merge_origins_keeps_each_once_in_order() -> None:
    a, b = {"kind": "seed", "location": "/a"}, {"kind": "feed", "location": "http://f"}
    assert merge_origins([a], [b, a]) == [a, b]
