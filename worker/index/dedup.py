"""Article identity beyond the id: content hashes for edits, MinHash for near-duplicates.

Pure functions; the store runs the lookups. The same story re-published with small edits
shares most word 3-shingles, so its MinHash signature agrees on most positions; LSH bands
of the signature are indexed as keywords, so candidates are found with one terms query.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np

from worker.record import normalise_text

NUM_PERM = 64
BANDS = 16
ROWS = NUM_PERM // BANDS
# Bands name the signature scheme, so signatures of another scheme never match by chance.
SCHEME = "m2"
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
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class Fingerprint:
    """What identifies an article's content: an exact hash and a MinHash signature."""

    content_hash: str
    minhash: tuple[int, ...]
    bands: tuple[str, ...]


def content_hash(title: str, body: str) -> str:
    """Hash of the normalised text: equal means unchanged, whatever the whitespace."""
    return hashlib.sha256(normalise_text(f"{title}\n{body}").encode()).hexdigest()


def shingle_hashes(text: str) -> np.ndarray:
    """32-bit hashes of the distinct word 3-grams of the case-folded text.

    Each word is hashed once (CRC-32) and three neighbours are mixed arithmetically, so a
    600-word article costs a few hundred microseconds instead of one SHA-1 per shingle.
    """
    words = _WORD.findall(text.casefold())
    if len(words) < 3:
        return np.zeros(0, dtype=np.uint64)
    h = np.fromiter((zlib.crc32(w.encode()) for w in words), dtype=np.uint64, count=len(words))
    mixed = (h[:-2] * np.uint64(0x9E3779B97F4A7C15) + h[1:-1]) * np.uint64(0xC2B2AE3D27D4EB4F)
    mixed = (mixed + h[2:]) * np.uint64(0x165667B19E3779F9)
    return np.unique((mixed >> np.uint64(29)) & _MASK32)


def fingerprint(title: str, body: str) -> Fingerprint:
    """Exact and approximate fingerprints of an article (no bands for very short texts)."""
    grams = shingle_hashes(f"{title}\n{body}")
    if grams.size:
        permuted = (_PERM_A * grams[None, :] + _PERM_B) >> _SHIFT32
        values = tuple(int(v) for v in permuted.min(axis=1))
    else:
        values = (int(_MASK32),) * NUM_PERM
    bands: tuple[str, ...] = ()
    if grams.size >= MIN_SHINGLES:
        bands = tuple(_band(b, values[b * ROWS : (b + 1) * ROWS]) for b in range(BANDS))
    return Fingerprint(content_hash(title, body), values, bands)


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


def merge_origins(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every origin that delivered the article, once each, oldest first."""
    seen = {(o.get("kind"), o.get("location")) for o in old}
    merged = list(old)
    for origin in new:
        if (origin.get("kind"), origin.get("location")) not in seen:
            merged.append(origin)
            seen.add((origin.get("kind"), origin.get("location")))
    return merged


def _band(number: int, rows: tuple[int, ...]) -> str:
    digest = hashlib.blake2b(repr(rows).encode(), digest_size=8).hexdigest()
    return f"{SCHEME}:{number}:{digest}"
