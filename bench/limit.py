"""The limit: raw ``nlp.pipe`` words/s of each language's NER pipeline in N processes.

Processes are spawned (they start clean, as workers do), load the pipelines exactly as
enrichment loads them and warm them once; they then serve every process count measured, so
models load once per run. For a count N, N of them get a share of the corpus paragraphs (the
chunks enrichment feeds spaCy; articles dealt round), and per language all N start together;
that language's figure is its words / the wall time from the first start to the last finish.
The corpus limit is all words / the sum of those walls (the mixed corpus, language after
language).
"""

from __future__ import annotations

import multiprocessing
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from bench.corpus import Corpus, words
from bench.worker_api import ner_languages, ner_pipeline, text_chunks

WARM_TEXTS = 4


@dataclass(frozen=True)
class LimitResult:
    """Raw NER throughput with ``processes`` processes."""

    processes: int
    words: int
    seconds: float
    by_language: dict[str, dict[str, float]]

    @property
    def words_per_s(self) -> float:
        """Words of the whole corpus per second of wall time."""
        return self.words / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready figures."""
        return {"processes": self.processes, "words": self.words,
                "seconds": round(self.seconds, 3), "words_per_s": round(self.words_per_s, 1),
                "by_language": self.by_language}


def paragraphs_by_language(corpus: Corpus, shares: int) -> list[dict[str, list[str]]]:
    """For each of ``shares`` processes, its paragraphs per language (articles dealt round)."""
    supported = set(ner_languages())
    out: list[dict[str, list[str]]] = [{} for _ in range(shares)]
    for n, (article, language) in enumerate(zip(corpus.articles, corpus.languages, strict=True)):
        if language in supported:
            chunks = [chunk for _offset, chunk in text_chunks(article.analysed_text)]
            out[n % shares].setdefault(language, []).extend(chunks)
    return out


def _child(warm: dict[str, list[str]], conn: Connection) -> None:
    """One process: load and warm, then take texts and run a language when told."""
    pipelines = {language: ner_pipeline(language) for language in warm}
    for language, nlp in pipelines.items():
        for _doc in nlp.pipe(warm[language]):
            pass
    conn.send("ready")
    texts: dict[str, list[str]] = {}
    while (message := conn.recv()) is not None:
        kind, value = message
        if kind == "texts":
            texts = value
            conn.send("ok")
        else:
            start = time.monotonic()
            for _doc in pipelines[value].pipe(texts.get(value, [])):
                pass
            conn.send((start, time.monotonic()))
    conn.close()


def measure_limits(corpus: Corpus, counts: list[int], repeats: int = 1) -> dict[int, LimitResult]:
    """Raw NER words/s of the corpus for each process count (best of ``repeats`` passes)."""
    languages = sorted({lang for lang in corpus.languages if lang in set(ner_languages())})
    [everything] = paragraphs_by_language(corpus, 1)
    warm = {language: everything[language][:WARM_TEXTS] for language in languages}
    context = multiprocessing.get_context("spawn")
    pipes: list[Connection] = []
    children = []
    for _ in range(max(counts)):
        parent_end, child_end = context.Pipe()
        proc = context.Process(target=_child, args=(warm, child_end), daemon=True)
        proc.start()
        child_end.close()
        pipes.append(parent_end)
        children.append(proc)
    results: dict[int, LimitResult] = {}
    try:
        for conn in pipes:
            if conn.recv() != "ready":
                raise RuntimeError("a limit process did not start")
        for count in sorted(set(counts)):
            results[count] = _measure(pipes[:count], paragraphs_by_language(corpus, count),
                                      languages, repeats)
        for conn in pipes:
            conn.send(None)
    finally:
        for proc in children:
            proc.join(timeout=30)
            if proc.is_alive():
                proc.terminate()
    return results


def _measure(pipes: list[Connection], shares: list[dict[str, list[str]]], languages: list[str],
             repeats: int) -> LimitResult:
    for conn, share in zip(pipes, shares, strict=True):
        conn.send(("texts", share))
    for conn in pipes:
        conn.recv()
    by_language: dict[str, dict[str, float]] = {}
    total_seconds = 0.0
    for language in languages:
        passes = []
        for _ in range(repeats):
            for conn in pipes:
                conn.send(("run", language))
            spans = [conn.recv() for conn in pipes]
            passes.append(max(end for _, end in spans) - min(start for start, _ in spans))
        seconds = min(passes)
        total_seconds += seconds
        count = sum(words(t) for share in shares for t in share.get(language, []))
        by_language[language] = {"words": count, "seconds": round(seconds, 3),
                                 "words_per_s": round(count / seconds, 1)}
    total_words = sum(int(v["words"]) for v in by_language.values())
    return LimitResult(len(pipes), total_words, total_seconds, by_language)
