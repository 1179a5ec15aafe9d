"""Article identity beyond the id: content hashes for edits, MinHash for near-duplicates.

Pure functions; the store runs the lookups. The same story re-published with small edits
shares most word 3-shingles, so its MinHash signature agrees on most positions; LSH bands
of the signature are indexed as keywords, so candidates are found with one terms query.
Each band keyword spells out its rows, so the bands of a stored document are its whole
signature: a lookup reads them from doc values and never opens a stored-fields block.
"""

from __future__ import annotations

import functools
import hashlib
import math
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from worker.record import Article, TextFingerprint, normalise_text

NUM_PERM = 64
BANDS = 16
ROWS = NUM_PERM // BANDS
# Bands name the signature scheme, so signatures of another scheme never match by chance
# (m4: the band spells out its rows; m3 hashed them).
SCHEME = "m4"
_ROW_HEX = 8  # one 32-bit signature value
_MASK32 = np.uint64((1 << 32) - 1)
_SHIFT32 = np.uint64(32)
# Multiply-shift hashing (odd multiplier, top 32 bits of the 64-bit product): one universal
# hash function per permutation, without a modulo.
_rng = np.random.RandomState(1)
_PERM_A = (_rng.randint(0, 2**63, size=NUM_PERM, dtype=np.uint64) * 2 + 1)[:, None]
_PERM_B = _rng.randint(0, 2**63, size=NUM_PERM, dtype=np.uint64)[:, None]
# Estimated Jaccard similarity of shingles above which two articles are one story.
NEAR_DUPLICATE_THRESHOLD = 0.8
# Texts with fewer shingles than this are too short to call near-duplicates safely.
MIN_SHINGLES = 20

_CODE_POINTS = 0x110000
_ONE = np.uint64(1)  # added to each code point, so that no character hashes to zero
_BASE = 0x100000001B3  # odd, hence invertible modulo 2**64
_BASE_INVERSE = pow(_BASE, -1, 2**64)
_POWERS_CACHED = 1 << 20  # texts up to a million characters reuse one table per base


@dataclass(frozen=True)
class Fingerprint:
    """What identifies an article's content: an exact hash and a MinHash signature."""

    content_hash: str
    minhash: tuple[int, ...]
    bands: tuple[str, ...]


def content_hash(title: str, body: str) -> str:
    """Hash of the normalised text: equal means unchanged, whatever the whitespace."""
    return hashlib.sha256(normalise_text(f"{title}\n{body}").encode()).hexdigest()


@functools.cache
def _word_characters() -> np.ndarray:
    """Per code point, whether it belongs to a word as ``\\w`` means it: alphanumeric or
    an underscore (1.1 MB, built once per process in about a tenth of a second)."""
    table = np.fromiter((chr(c).isalnum() for c in range(_CODE_POINTS)), dtype=bool,
                        count=_CODE_POINTS)
    table[ord("_")] = True
    return table


@functools.cache
def _powers(base: int, n: int) -> np.ndarray:
    """base**0 .. base**(n-1) modulo 2**64 (read-only: cached and shared)."""
    powers = np.full(n, base, dtype=np.uint64)
    powers[0] = 1
    powers = np.cumprod(powers, dtype=np.uint64)
    powers.flags.writeable = False
    return powers


def _powers_for(base: int, n: int) -> np.ndarray:
    """The first ``n`` powers, from a cached table grown in powers of two (up to 2**20)."""
    size = max(4096, 1 << (n - 1).bit_length())
    return _powers(base, size)[:n] if size <= _POWERS_CACHED else _powers.__wrapped__(base, n)


def word_hashes(text: str) -> np.ndarray:
    """A 64-bit hash of each word of the case-folded text, in order, computed for all words at
    once: each word is a polynomial in its code points, read off prefix sums."""
    points = np.frombuffer(text.casefold().encode("utf-32-le"), dtype=np.uint32)
    in_word = _word_characters()[points]
    edges = np.flatnonzero(np.diff(in_word, prepend=False, append=False))
    starts, ends = edges[::2], edges[1::2]
    if not starts.size:
        return np.zeros(0, dtype=np.uint64)
    n = points.size
    prefix = np.zeros(n + 1, dtype=np.uint64)
    np.cumsum((points.astype(np.uint64) + _ONE) * _powers_for(_BASE, n), dtype=np.uint64,
              out=prefix[1:])
    # (sum of the word's terms) / base**start: the same word hashes alike wherever it is.
    words: np.ndarray = (prefix[ends] - prefix[starts]) * _powers_for(_BASE_INVERSE, n)[starts]
    words ^= words >> np.uint64(31)
    words *= np.uint64(0xBF58476D1CE4E5B9)
    words ^= words >> np.uint64(29)
    return words


def shingle_hashes(text: str) -> np.ndarray:
    """32-bit hashes of the distinct word 3-grams of the case-folded text.

    Vectorised end to end (``word_hashes``): a 600-word article costs tens of microseconds,
    where hashing word by word in Python cost a few hundred.
    """
    h = word_hashes(text)
    if h.size < 3:
        return np.zeros(0, dtype=np.uint64)
    mixed = (h[:-2] * np.uint64(0x9E3779B97F4A7C15) + h[1:-1]) * np.uint64(0xC2B2AE3D27D4EB4F)
    mixed = (mixed + h[2:]) * np.uint64(0x165667B19E3779F9)
    grams = np.sort((mixed >> np.uint64(29)) & _MASK32)
    distinct = np.empty(grams.size, dtype=bool)  # np.unique, without its overhead
    distinct[0] = True
    np.not_equal(grams[1:], grams[:-1], out=distinct[1:])
    return grams[distinct]


def fingerprint(title: str, body: str) -> Fingerprint:
    """Exact and approximate fingerprints of an article (no bands for very short texts)."""
    grams = shingle_hashes(f"{title}\n{body}")
    if grams.size:
        # The shift is monotonic: shifting the minimum is shifting every value, in one pass.
        permuted = _PERM_A * grams[None, :]
        permuted += _PERM_B
        values = tuple((permuted.min(axis=1) >> _SHIFT32).tolist())
    else:
        values = (int(_MASK32),) * NUM_PERM
    return Fingerprint(content_hash(title, body), values,
                       _bands(values) if grams.size >= MIN_SHINGLES else ())


def band_quorum() -> int:
    """Bands two signatures share whenever their estimated similarity reaches the threshold.

    At most ``NUM_PERM - ceil(threshold * NUM_PERM)`` rows differ (12 of 64 at 0.8), and each
    differing row spoils at most one band, so the other bands (4 of 16) are equal. A stored
    document sharing fewer bands with a new one can never be its near-duplicate: the lookup
    asks for this many, which keeps unrelated texts that share some phrases out of it.
    """
    differing = NUM_PERM - math.ceil(NEAR_DUPLICATE_THRESHOLD * NUM_PERM)
    return max(1, BANDS - differing)


def text_crc(title: str, body: str) -> int:
    """A cheap checksum of title and body: is a carried fingerprint still this text's?"""
    return zlib.crc32(body.encode(), zlib.crc32(f"{title}\n".encode()))


def text_fingerprint(title: str, body: str) -> TextFingerprint:
    """The fingerprints a record carries from where it enters the pipeline to the index."""
    prints = fingerprint(title, body)
    return TextFingerprint(text_crc=text_crc(title, body), content_hash=prints.content_hash,
                           minhash=list(prints.minhash), banded=bool(prints.bands))


def fingerprint_of(article: Article) -> Fingerprint:
    """The article's fingerprints: those it carries if they are of its text, else made now."""
    carried = article.fingerprint
    if carried is None or carried.text_crc != text_crc(article.title, article.body):
        return fingerprint(article.title, article.body)
    values = tuple(carried.minhash)
    return Fingerprint(carried.content_hash, values, _bands(values) if carried.banded else ())


def similarity(a: tuple[int, ...] | list[int], b: tuple[int, ...] | list[int]) -> float:
    """Estimated Jaccard similarity of two MinHash signatures."""
    if len(a) != len(b) or not a:
        return 0.0
    return sum(1 for x, y in zip(a, b, strict=True) if x == y) / len(a)


def best_near_duplicate(
    minhash: tuple[int, ...], candidates: list[dict[str, Any]]
) -> tuple[str, str, float] | None:
    """(id, story_id, similarity) of the closest candidate above the threshold, if any."""
    best: tuple[str, str, float] | None = None
    for cand in candidates:
        score = similarity(minhash, cand.get("minhash") or [])
        if score >= NEAR_DUPLICATE_THRESHOLD and (best is None or score > best[2]):
            best = (cand["id"], cand.get("story_id") or cand["id"], score)
    return best


class CandidatePool:
    """Known documents by LSH band: a new document is compared only with those sharing one
    of its bands (the only ones LSH vouches for), not with every candidate of its batch."""

    def __init__(self, candidates: Iterable[dict[str, Any]] = ()) -> None:
        self._by_band: dict[str, list[dict[str, Any]]] = {}
        for candidate in candidates:
            self.add(candidate)

    def add(self, candidate: dict[str, Any]) -> None:
        """A stored or just-planned document (id, story_id, minhash, minhash_bands)."""
        for band in candidate.get("minhash_bands") or ():
            self._by_band.setdefault(band, []).append(candidate)

    def best(self, minhash: tuple[int, ...], bands: list[str] | tuple[str, ...]
             ) -> tuple[str, str, float] | None:
        """The closest known document sharing a band, above the threshold, if any."""
        sharing: dict[str, dict[str, Any]] = {}
        for band in bands:
            for candidate in self._by_band.get(band, ()):
                sharing.setdefault(candidate["id"], candidate)
        return best_near_duplicate(minhash, list(sharing.values()))


def merge_origins(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every origin that delivered the article, once each, oldest first."""
    seen = {(o.get("kind"), o.get("location")) for o in old}
    merged = list(old)
    for origin in new:
        if (origin.get("kind"), origin.get("location")) not in seen:
            merged.append(origin)
            seen.add((origin.get("kind"), origin.get("location")))
    return merged


_ROWS_HEX = "%08x" * ROWS  # one format for a band's rows: a third of the time of a join


def _band(number: int, rows: tuple[int, ...]) -> str:
    return f"{SCHEME}:{number}:" + _ROWS_HEX % rows


def _bands(values: tuple[int, ...]) -> tuple[str, ...]:
    """The LSH bands of a signature."""
    return tuple(_band(b, values[b * ROWS : (b + 1) * ROWS]) for b in range(BANDS))


def signature_of_bands(bands: Iterable[str]) -> tuple[int, ...] | None:
    """The signature a full set of this scheme's bands spells out, in any order; None for
    anything else (another scheme's bands, a partial set)."""
    values: list[int | None] = [None] * NUM_PERM
    prefix = f"{SCHEME}:"
    for band in bands:
        scheme_number, _, rows = band.rpartition(":")
        number = scheme_number.removeprefix(prefix)
        if (not scheme_number.startswith(prefix) or not number.isdigit()
                or len(rows) != ROWS * _ROW_HEX or int(number) >= BANDS):
            return None
        try:
            start = int(number) * ROWS
            for r in range(ROWS):
                values[start + r] = int(rows[r * _ROW_HEX : (r + 1) * _ROW_HEX], 16)
        except ValueError:
            return None
    if any(v is None for v in values):
        return None
    return tuple(v for v in values if v is not None)
