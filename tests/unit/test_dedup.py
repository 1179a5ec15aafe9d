"""Identity beyond ids: unchanged vs edited vs near-duplicate articles, origins merged."""

from __future__ import annotations

import math
import random
import re
from pathlib import Path

import pytest

from tests.unit.shipped_config import LAYOUT, TABLES
from worker.index.dedup import (
    BANDS,
    NEAR_DUPLICATE_THRESHOLD,
    NUM_PERM,
    ROWS,
    CandidatePool,
    band_quorum,
    best_near_duplicate,
    fingerprint,
    fingerprint_of,
    merge_origins,
    signature_of_bands,
    similarity,
    text_fingerprint,
    word_hashes,
)
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


def test_words_are_hashed_as_regex_words_in_every_script() -> None:
    text = ("Kapolri Jenderal Listyo di İstanbul, naïve café_au_lait 3,14 — Привет, мир! "
            "東京 ذهب الوزير Straße STRASSE Kapolri")
    words = re.findall(r"\w+", text.casefold())
    hashes = word_hashes(text).tolist()
    assert len(hashes) == len(words)
    by_word = dict(zip(words, hashes, strict=True))
    assert [by_word[w] for w in words] == hashes  # one word, one hash, wherever it stands
    assert len(set(by_word.values())) == len(by_word)  # and distinct words differ
    assert word_hashes(" ,.;- ").size == 0


def test_a_new_document_is_compared_with_those_sharing_a_band() -> None:
    a = fingerprint(TITLE, BODY)
    edited = fingerprint(TITLE, BODY.replace("hari Minggu", "hari Senin"))
    pool = CandidatePool([{"id": "t1", "story_id": "t0", "minhash": list(a.minhash),
                           "minhash_bands": list(a.bands)}])
    assert pool.best(edited.minhash, edited.bands) == ("t1", "t0", pytest.approx(
        similarity(a.minhash, edited.minhash)))
    # The same signature under bands it does not share is never looked at.
    assert pool.best(edited.minhash, ["m4:0:none"]) is None


def test_the_bands_of_a_stored_document_spell_out_its_signature() -> None:
    """What the near-duplicate lookup relies on to read candidates from doc values only
    (which hand back a keyword array sorted, not in band order)."""
    prints = fingerprint(TITLE, BODY)
    assert signature_of_bands(sorted(prints.bands)) == prints.minhash
    assert signature_of_bands(prints.bands[:-1]) is None  # a partial set spells nothing
    assert signature_of_bands(["m3:0:1f2e3d4c5b6a7988"] * 16) is None  # an older scheme
    assert signature_of_bands([*prints.bands[:-1], prints.bands[-1][:-1] + "g"]) is None


def _bands_of(signature: tuple[int, ...]) -> set[str]:
    """The bands ``fingerprint`` would index for a signature (scheme and rows)."""
    return {f"{number}:{signature[number * ROWS:(number + 1) * ROWS]}" for number in range(BANDS)}


def test_near_duplicates_always_share_the_band_quorum_the_lookup_asks_for() -> None:
    """The lookup fetches only stored documents sharing ``band_quorum()`` bands: none above
    the similarity threshold may share fewer, however their differing rows fall."""
    quorum = band_quorum()
    differing = NUM_PERM - math.ceil(NEAR_DUPLICATE_THRESHOLD * NUM_PERM)
    base = tuple(range(NUM_PERM))
    # The worst case: every differing row in a band of its own.
    worst = list(base)
    for band in range(differing):
        worst[band * ROWS] = -1
    assert similarity(base, tuple(worst)) >= NEAR_DUPLICATE_THRESHOLD
    assert len(_bands_of(base) & _bands_of(tuple(worst))) == quorum == BANDS - differing
    # One more differing row falls below the threshold: the quorum is as large as it can be.
    worst[differing * ROWS] = -1
    assert similarity(base, tuple(worst)) < NEAR_DUPLICATE_THRESHOLD
    rng = random.Random(7)
    for _ in range(500):
        other = list(base)
        for row in rng.sample(range(NUM_PERM), rng.randint(0, differing)):
            other[row] = -1
        assert len(_bands_of(base) & _bands_of(tuple(other))) >= quorum


def test_a_carried_fingerprint_is_used_only_while_it_describes_the_text() -> None:
    """Fingerprints made before NLP save the index stage its work, and are never trusted for
    a text that changed since (a page fetched into a summary-only entry, say)."""
    carried = text_fingerprint(TITLE, BODY)
    article = Article(id="u1", origin=Origin(kind="seed", location="/a.txt"), title=TITLE,
                      body=BODY, fingerprint=carried)
    assert fingerprint_of(article) == fingerprint(TITLE, BODY)
    edited = article.model_copy(update={"body": BODY.replace("Suriah", "Irak")})
    assert fingerprint_of(edited) == fingerprint(TITLE, edited.body) != fingerprint(TITLE, BODY)
    short = Article(id="u2", origin=article.origin, title="Banjir", body="Air naik.")
    short = short.model_copy(update={"fingerprint": text_fingerprint(short.title, short.body)})
    assert fingerprint_of(short) == fingerprint(short.title, short.body)
    assert fingerprint_of(short).bands == ()  # too short for the near-duplicate lookup
    document = article_document(article, TABLES, LAYOUT)
    assert "fingerprint" not in document  # the index has its parts, not the carrier
    assert document["minhash_bands"] == list(fingerprint(TITLE, BODY).bands)
