"""Keyphrases from the tokens spaCy already made for NER: no second pass over the text.

A candidate is a word (alphabetic, not a stop word of the language, two letters or more), a
run of capitalised words inside a sentence (a name: "Louis Fabrice Latour"), or two
lower-case words side by side that occur together at least twice ("wage deal"). A word
weighs more the more often it occurs, the earlier it first occurs (the title is sentence 0)
and the more often it is capitalised inside a sentence; a phrase weighs its words' mean,
boosted by how often it occurs. The top phrases are returned, best first; a word is left out
when a chosen phrase already holds it.

This replaced YAKE (a per-word co-occurrence graph in pure Python that took half of the
enrichment time): the same kind of statistics, computed from one ``Doc.to_array`` per chunk.
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass, field
from typing import Any

VERSION = "1"
MIN_WORD_CHARS = 2
MAX_PHRASE_CHARS = 60
MAX_NAME_WORDS = 4
PHRASE_BOOST = 2.0


@functools.cache
def _attrs() -> list[int]:
    # Imported on first use: importing spaCy costs a second that CLI commands need not pay.
    from spacy.attrs import IS_ALPHA, IS_STOP, IS_TITLE, LENGTH, LOWER, ORTH, SENT_START

    return [LOWER, ORTH, IS_ALPHA, IS_STOP, IS_TITLE, SENT_START, LENGTH]


@dataclass
class _Word:
    count: int = 0
    first_sentence: int = 0
    capitalised: int = 0


@dataclass
class _Phrase:
    count: int = 0
    name: bool = False  # a run of capitalised words, kept even if it occurs once


# One candidate word of a run: (LOWER hash, ORTH hash, capitalised inside its sentence,
# first word of its sentence).
_Token = tuple[int, int, bool, bool]


@dataclass
class KeyphraseCounter:
    """Statistics of one text, fed chunk by chunk (in text order) from spaCy docs."""

    words: dict[int, _Word] = field(default_factory=dict)
    phrases: dict[tuple[int, ...], _Phrase] = field(default_factory=dict)
    sentences: int = 0
    _surfaces: dict[tuple[int, ...], str] = field(default_factory=dict)

    def add(self, doc: Any) -> None:
        """Count the candidates of one chunk."""
        if len(doc) == 0:
            return
        # Surfaces are resolved now: a memory zone frees the doc's strings when it ends.
        strings = doc.vocab.strings
        sentence = self.sentences
        run: list[_Token] = []
        rows = doc.to_array(_attrs()).tolist()
        for position, (lower, orth, alpha, stop, title, sent_start, length) in enumerate(rows):
            starts = sent_start == 1 or position == 0
            if starts and position > 0:
                self._count_run(run, sentence, strings)
                run = []
                sentence += 1
            if not alpha or stop or length < MIN_WORD_CHARS:
                self._count_run(run, sentence, strings)
                run = []
                continue
            run.append((lower, orth, bool(title) and not starts, starts))
        self._count_run(run, sentence, strings)
        self.sentences = sentence + 1

    def _count_run(self, run: list[_Token], sentence: int, strings: Any) -> None:
        """Words of a run of candidates, its names, and its lower-case word pairs."""
        for lower, orth, capitalised, _starts in run:
            word = self.words.get(lower)
            if word is None:
                word = self.words[lower] = _Word(first_sentence=sentence)
                self._surfaces.setdefault((lower,), strings[orth])
            word.count += 1
            word.capitalised += capitalised
        start = 0
        while start < len(run):  # maximal runs of capitalised words ("Louis Fabrice Latour")
            end = start
            while end < len(run) and (run[end][2] or (run[end][3] and end + 1 < len(run)
                                                      and run[end + 1][2])):
                end += 1
            if end - start >= 2:
                self._count_phrase(run[start:min(end, start + MAX_NAME_WORDS)], strings,
                                   name=True)
            start = max(end, start + 1)
        for a, b in itertools.pairwise(run):  # "wage deal", "gencatan senjata"
            if not a[2] and not b[2]:
                self._count_phrase([a, b], strings, name=False)

    def _count_phrase(self, tokens: list[_Token], strings: Any, *, name: bool) -> None:
        key = tuple(t[0] for t in tokens)
        phrase = self.phrases.get(key)
        if phrase is None:
            phrase = self.phrases[key] = _Phrase(name=name)
            self._surfaces.setdefault(key, " ".join(strings[t[1]] for t in tokens))
        phrase.count += 1

    def top(self, limit: int = 10) -> list[str]:
        """The best ``limit`` keyphrases, best first."""
        weights = {key: _word_weight(w) for key, w in self.words.items()}
        scored: list[tuple[float, tuple[int, ...]]] = [(w, (k,)) for k, w in weights.items()]
        for key, phrase in self.phrases.items():
            if phrase.count < 2 and not phrase.name:
                continue
            mean = sum(weights[k] for k in key) / len(key)
            scored.append((PHRASE_BOOST * math.log1p(phrase.count) * mean, key))
        scored.sort(key=lambda s: (-s[0], self._surfaces[s[1]]))
        chosen: list[str] = []
        covered: set[int] = set()
        for _score, key in scored:
            if len(chosen) >= limit:
                break
            text = self._surfaces[key]
            if len(text) > MAX_PHRASE_CHARS or set(key) <= covered:
                continue
            chosen.append(text)
            covered |= set(key)
        return chosen


def _word_weight(word: _Word) -> float:
    casing = 1.0 + word.capitalised / word.count
    position = 1.0 / math.log2(2 + word.first_sentence)
    return math.log1p(word.count) * casing * (0.5 + position)
