"""Article identity beyond the id: content hashes for edits, MinHash for near-duplicates.

Pure functions; the store runs the lookups. The same story re-published with small edits
shares most word 3-shingles, so its MinHash signature agrees on most positions; LSH bands
of the signature are indexed as keywords, so candidates are found with one terms query.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from datasketch import MinHash

from worker.record import normalise_text

NUM_PERM = 64
BANDS = 16
ROWS = NUM_PERM // BANDS
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


def shingles(text: str, size: int = 3) -> set[bytes]:
    """Word n-grams of the case-folded text."""
    words = _WORD.findall(text.casefold())
    return {" ".join(words[i : i + size]).encode() for i in range(max(len(words) - size + 1, 0))}


def fingerprint(title: str, body: str) -> Fingerprint:
    """Exact and approximate fingerprints of an article (no bands for very short texts)."""
    grams = shingles(f"{title}\n{body}")
    mh = MinHash(num_perm=NUM_PERM, seed=1)
    mh.update_batch(list(grams))
    values = tuple(int(v) for v in mh.hashvalues)
    bands: tuple[str, ...] = ()
    if len(grams) >= MIN_SHINGLES:
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
    return f"{number}:{hashlib.blake2b(repr(rows).encode(), digest_size=8).hexdigest()}"
