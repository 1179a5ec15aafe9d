"""The enrichment stage in this process, with the share of each step.

The stage runs exactly as a worker runs it (``Enricher.enrich_many`` on batches of the
workers' batch size). Each step is timed by wrapping what the stage module calls for it
(``ENRICH_STEPS``), and the NER models by wrapping the tokenizer and every spaCy component
of the loaded pipelines (the Indonesian relabeller is one of them). Times are exclusive: a
wrapped call nested in another (spaCy inside a mentions function, a component pulling docs
from the one before it) counts only for itself, so the parts add up to the stage time.
Wrapping costs a few microseconds per call against milliseconds per article.
"""

from __future__ import annotations

import dataclasses
import inspect
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from bench.corpus import Corpus, article_words
from bench.corpus import words as words_of
from bench.limit import paragraphs_by_language
from bench.worker_api import (
    ENRICH_STEPS,
    Article,
    annotate_module,
    batch_size,
    ner_languages,
    ner_pipeline,
    new_enricher,
)

SPACY = "spacy:"  # clock keys of the tokenizer and the pipeline components


class Clock:
    """Exclusive time per key over properly nested enter/exit pairs."""

    def __init__(self) -> None:
        self.totals: dict[str, float] = {}
        self._stack: list[list[Any]] = []

    def enter(self, key: str) -> None:
        self._stack.append([key, time.perf_counter(), 0.0])

    def exit(self) -> None:
        key, start, nested = self._stack.pop()
        elapsed = time.perf_counter() - start
        self.totals[key] = self.totals.get(key, 0.0) + elapsed - nested
        if self._stack:
            self._stack[-1][2] += elapsed

    def wrap(self, function: Callable[..., Any], key: str) -> Callable[..., Any]:
        """``function`` timed under ``key``."""
        def timed(*args: Any, **kwargs: Any) -> Any:
            self.enter(key)
            try:
                return function(*args, **kwargs)
            finally:
                self.exit()

        return timed


@dataclass
class StageResult:
    """Words/s of the in-process stage and where its time went."""

    articles: int
    words: int
    seconds: float
    failed: int
    clock: dict[str, float] = field(default_factory=dict)
    wrapped: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    @property
    def words_per_s(self) -> float:
        """Corpus words per second of stage time."""
        return self.words / self.seconds if self.seconds else 0.0

    def steps(self) -> tuple[dict[str, float], dict[str, float]]:
        """(seconds per step, seconds per part of the NER step)."""
        ner_parts = {k.removeprefix(SPACY): v for k, v in self.clock.items()
                     if k.startswith(SPACY)}
        ner_parts["mentions"] = self.clock.get("mentions", 0.0)
        steps = {step: self.clock.get(step, 0.0) for step in ENRICH_STEPS if step != "mentions"}
        steps["ner"] = sum(ner_parts.values())
        steps["other"] = self.seconds - sum(steps.values())
        return steps, ner_parts

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready figures; every share is of the whole stage time."""
        steps, ner_parts = self.steps()
        order = ["language_id", "ner", "gazetteer", "normalisation", "keyphrases",
                 "text_stats", "other"]
        return {
            "articles": self.articles, "words": self.words, "failed": self.failed,
            "seconds": round(self.seconds, 3), "words_per_s": round(self.words_per_s, 1),
            "articles_per_s": round(self.articles / self.seconds, 2) if self.seconds else 0.0,
            "step_seconds": {k: round(steps[k], 3) for k in order},
            "step_shares": {k: round(steps[k] / self.seconds, 4) for k in order},
            "ner_part_seconds": {k: round(v, 3) for k, v in ner_parts.items()},
            "ner_part_shares": {k: round(v / self.seconds, 4) for k, v in ner_parts.items()},
            "timed_functions": self.wrapped,
            "functions_not_found": self.missing,
        }


@contextmanager
def timed_steps(clock: Clock) -> Iterator[tuple[list[str], list[str]]]:
    """Wrap what the stage module calls for each step; yields (wrapped, not found)."""
    restore: list[tuple[Any, str, Any]] = []
    wrapped: list[str] = []
    missing: list[str] = []
    try:
        for step, names in ENRICH_STEPS.items():
            for name in names:
                owner_name, _, attribute = name.rpartition(".")
                owner = getattr(annotate_module, owner_name, None) if owner_name \
                    else annotate_module
                if owner_name:  # a method: only a plain function defined on the class
                    original = vars(owner).get(attribute) if owner is not None else None
                    usable = inspect.isfunction(original)
                else:
                    original = getattr(owner, attribute, None)
                    usable = callable(original)
                if not usable or original is None:
                    missing.append(name)
                    continue
                restore.append((owner, attribute, original))
                setattr(owner, attribute, clock.wrap(original, step))
                wrapped.append(name)
        yield wrapped, missing
    finally:
        for owner, attribute, original in reversed(restore):
            setattr(owner, attribute, original)


class _TimedComponent:
    """A pipeline component whose ``pipe`` is timed doc by doc (spaCy chains generators)."""

    def __init__(self, proc: Any, clock: Clock, key: str) -> None:
        self.proc = proc
        self.clock = clock
        self.key = key

    def pipe(self, docs: Iterable[Any], **kwargs: Any) -> Iterator[Any]:
        if hasattr(self.proc, "pipe"):
            inner = iter(self.proc.pipe(docs, **kwargs))
        else:
            inner = (self.proc(doc) for doc in docs)
        while True:
            self.clock.enter(self.key)
            try:
                doc = next(inner)
            except StopIteration:
                return
            finally:
                self.clock.exit()
            yield doc

    def __call__(self, doc: Any) -> Any:
        return self.clock.wrap(self.proc, self.key)(doc)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.proc, name)


class _TimedTokenizer:
    def __init__(self, tokenizer: Any, clock: Clock) -> None:
        self.tokenizer = tokenizer
        self.timed = clock.wrap(tokenizer, f"{SPACY}tokenizer")

    def __call__(self, text: str) -> Any:
        return self.timed(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.tokenizer, name)


@contextmanager
def timed_components(clock: Clock) -> Iterator[None]:
    """Time the tokenizer and each component of every NER pipeline (summed by name)."""
    saved: list[tuple[Any, Any, list[tuple[str, Any]]]] = []
    try:
        for language in ner_languages():
            nlp = ner_pipeline(language)
            saved.append((nlp, nlp.tokenizer, list(nlp._components)))
            nlp.tokenizer = _TimedTokenizer(nlp.tokenizer, clock)
            nlp._components = [(name, _TimedComponent(proc, clock, f"{SPACY}{name}"))
                               for name, proc in nlp._components]
        yield
    finally:
        for nlp, tokenizer, components in saved:
            nlp.tokenizer = tokenizer
            nlp._components = components


def warm_up(corpus: Corpus, enricher: Any) -> None:
    """Load every model and table the stage uses (first calls load lazily)."""
    for language in sorted(set(corpus.languages)):
        first = corpus.articles[corpus.languages.index(language)]
        enricher.enrich_many([first])


def measure_stage(corpus: Corpus, repeats: int = 1) -> tuple[StageResult, list[Article], Any]:
    """Run the stage over the corpus in this process (best of ``repeats`` passes).

    Returns its figures, the enriched articles and the enricher (whose tables the index
    documents are built with).
    """
    enricher = new_enricher()
    warm_up(corpus, enricher)
    size = batch_size()
    words = sum(article_words(a) for a in corpus.articles)
    best: StageResult | None = None
    enriched: list[Article] = []
    for _ in range(repeats):
        clock = Clock()
        enriched, failed = [], 0
        with timed_steps(clock) as (wrapped, missing), timed_components(clock):
            start = time.perf_counter()
            for n in range(0, len(corpus.articles), size):
                for result in enricher.enrich_many(corpus.articles[n : n + size]):
                    if isinstance(result, Exception):
                        failed += 1
                    else:
                        enriched.append(result)
            seconds = time.perf_counter() - start
        run = StageResult(len(corpus.articles), words, seconds, failed, clock.totals,
                          wrapped, missing)
        if best is None or run.seconds < best.seconds:
            best = run
    assert best is not None
    return best, enriched, enricher


PAIRED_ARTICLES = 150
PAIRED_PASSES = 6


def paired_stage_vs_limit(corpus: Corpus, enricher: Any,
                          passes: int = PAIRED_PASSES) -> dict[str, Any]:
    """The stage against raw ``nlp.pipe`` in this process, measured in back-to-back pairs.

    A shared VM's speed drifts by ±15 % between minutes, which swamps a ratio of two figures
    taken minutes apart. Here each pass takes the next slice of ``PAIRED_ARTICLES`` articles
    and runs raw ``nlp.pipe`` over their paragraph chunks and the (unwrapped) stage over the
    same articles, seconds apart, every other pass in the other order (so a steady drift
    favours neither); the ratio is the median of the passes' ratios.
    """
    size = batch_size()
    slices = max(1, len(corpus.articles) // PAIRED_ARTICLES)
    pairs: list[dict[str, Any]] = []
    ratios: list[float] = []
    for n in range(passes):
        start = (n % slices) * PAIRED_ARTICLES
        articles = corpus.articles[start : start + PAIRED_ARTICLES]
        sample = dataclasses.replace(corpus, articles=articles,
                                     languages=corpus.languages[start : start + len(articles)],
                                     records=corpus.records[start : start + len(articles)])
        [chunks] = paragraphs_by_language(sample, 1)
        words = sum(words_of(text) for texts in chunks.values() for text in texts)

        def raw(chunks: dict[str, list[str]] = chunks) -> None:
            for language, texts in chunks.items():
                for _doc in ner_pipeline(language).pipe(texts):
                    pass

        def stage(articles: list[Article] = articles) -> None:
            for k in range(0, len(articles), size):
                enricher.enrich_many(articles[k : k + size])

        order = (raw, stage) if n % 2 == 0 else (stage, raw)
        seconds: dict[Callable[[], None], float] = {}
        for step in order:
            begin = time.perf_counter()
            step()
            seconds[step] = time.perf_counter() - begin
        ratios.append(seconds[raw] / seconds[stage])
        pairs.append({"articles": len(articles), "words": words,
                      "raw_words_per_s": round(words / seconds[raw], 1),
                      "stage_words_per_s": round(words / seconds[stage], 1),
                      "ratio": round(seconds[raw] / seconds[stage], 4),
                      "order": "raw, stage" if n % 2 == 0 else "stage, raw"})
    ratios.sort()
    middle = len(ratios) // 2
    median = ratios[middle] if len(ratios) % 2 else (ratios[middle - 1] + ratios[middle]) / 2
    return {"articles_per_pass": PAIRED_ARTICLES, "passes": pairs, "ratio": round(median, 4)}
