"""Every entity mention of the user's Indonesian sample (seeds/000_fbcae026f709bea4.txt),
hand-labelled, in text order, for a mention-level typed score (exact span and label).

Conventions: a span holds the name without titles ("Bpk. Putin" -> "Putin"); a place named
for its government (Moskow, Washington, AS) is LOC, as in CoNLL; "Barat" is "the West"
(LOC), also where it qualifies a noun ("diplomat Barat": diplomats of the West, like
"pejabat AS"); "Perang Dingin" (the Cold War) is an EVENT. Sunday ("hari Minggu") is no
entity. The trailing promo line (The Wall Street Journal) is not in the analysed text.
"""

from __future__ import annotations

import re
from collections import Counter

Span = tuple[int, int, str]

SAMPLE_GOLD: list[tuple[str, str]] = [
    # title
    ("Putin", "PER"), ("Obama", "PER"), ("Suriah", "LOC"),
    # paragraph 1
    ("Rusia", "LOC"), ("Vladimir Putin", "PER"), ("AS", "LOC"), ("Barack Obama", "PER"),
    ("Suriah", "LOC"), ("Suriah", "LOC"), ("Bashar al-Assad", "PER"), ("Rusia", "LOC"),
    ("Aleppo", "LOC"), ("Moskow", "LOC"), ("Washington", "LOC"),
    # paragraph 2
    ("Suriah", "LOC"), ("Rusia", "LOC"), ("Amerika", "LOC"), ("Putin", "PER"),
    ("Obama", "PER"), ("Munich", "LOC"), ("Rusia", "LOC"), ("Kremlin", "ORG"),
    ("Barat", "LOC"), ("Perang Dingin", "EVENT"), ("Suriah", "LOC"),
    # paragraph 3
    ("Kremlin", "ORG"), ("Washington", "LOC"), ("Munich", "LOC"), ("Suriah", "LOC"),
    # paragraph 4
    ("Obama", "PER"), ("Rusia", "LOC"), ("Suriah", "LOC"), ("Gedung Putih", "ORG"),
    # paragraph 5
    ("Suriah", "LOC"), ("Rusia", "LOC"), ("Suriah", "LOC"), ("Kremlin", "ORG"),
    ("Assad", "PER"), ("AS", "LOC"), ("Rusia", "LOC"), ("ISIS", "ORG"), ("Suriah", "LOC"),
    ("Trump", "PER"), ("Assad", "PER"), ("AS", "LOC"),
    # paragraph 6
    ("Gedung Putih", "ORG"), ("Ukraina", "LOC"), ("Moskow", "LOC"), ("Rusia", "LOC"),
    ("AS", "LOC"), ("Eropa", "LOC"), ("Rusia", "LOC"), ("Belarusia", "LOC"),
    ("Minsk", "LOC"), ("Gedung Putih", "ORG"), ("Obama", "PER"), ("Rusia", "LOC"),
    ("Minsk", "LOC"), ("Organisasi untuk Keamanan dan Kerja Sama di Eropa", "ORG"),
    # paragraph 7
    ("Barat", "LOC"), ("Rusia", "LOC"), ("Ukraina", "LOC"), ("Suriah", "LOC"),
    # paragraph 8
    ("Kremlin", "ORG"), ("Putin", "PER"), ("Obama", "PER"), ("Rusia", "LOC"),
    ("Amerika Serikat", "LOC"),
]


def gold_spans(text: str) -> list[Span]:
    """The gold mentions as (start, end, label) in ``text``, each found after the last.

    A name is matched as a whole word, so "Putin" is not found inside "Gedung Putih".
    """
    spans: list[Span] = []
    position = 0
    for name, label in SAMPLE_GOLD:
        match = re.compile(rf"(?<!\w){re.escape(name)}(?!\w)").search(text, position)
        if match is None:
            raise ValueError(f"gold mention {name!r} not found after offset {position}")
        spans.append((match.start(), match.end(), label))
        position = match.end()
    return spans


def typed_scores(gold: list[Span], predicted: list[Span]) -> dict[str, dict[str, float]]:
    """Mention-level P/R/F per label and overall ('ALL'): a hit needs span and label exact."""
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    wanted, found = set(gold), set(predicted)
    for *_, label in found & wanted:
        tp[label] += 1
    for *_, label in found - wanted:
        fp[label] += 1
    for *_, label in wanted - found:
        fn[label] += 1
    result = {}
    for label in sorted({*tp, *fp, *fn, "ALL"}):
        t = tp.total() if label == "ALL" else tp[label]
        p_den = t + (fp.total() if label == "ALL" else fp[label])
        r_den = t + (fn.total() if label == "ALL" else fn[label])
        p = t / p_den if p_den else 0.0
        r = t / r_den if r_den else 0.0
        result[label] = {"p": p, "r": r, "f": 2 * p * r / (p + r) if p + r else 0.0}
    return result
