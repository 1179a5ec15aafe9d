"""Scoring a pipeline on the valid splits, its speed and size: the numbers of the model card."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import spacy
from spacy.language import Language
from spacy.scorer import Scorer
from spacy.tokens import Doc
from spacy.training import Example

import worker.enrich.ner_layers  # noqa: F401  (registers the model's custom layer and relabeller)
from worker.enrich.pipelines import use_cpu_ops
from worker.training.corpus import (
    CORPORA,
    CORPUS_LABELS,
    LABELS,
    Sentence,
    load_corpus,
    sentence_to_doc,
)


def score_split(
    nlp: Language, sentences: Sequence[Sentence], labels: Iterable[str] | None = None
) -> dict[str, Any]:
    """Score NER on one gold split with spaCy's Scorer, only on the labels the corpus annotates."""
    keep = set(labels) if labels is not None else None
    gold = [sentence_to_doc(nlp, s) for s in sentences]
    inputs = [Doc(nlp.vocab, words=list(s.words)) for s in sentences]
    predicted = list(nlp.pipe(inputs, batch_size=256))
    all_labels = Scorer.score_spans(
        [Example(p, g) for p, g in zip(predicted, gold, strict=True)], "ents"
    )
    if keep is not None:
        for doc in predicted:
            doc.ents = [e for e in doc.ents if e.label_ in keep]
    examples = [Example(p, g) for p, g in zip(predicted, gold, strict=True)]
    scores = Scorer.score_spans(examples, "ents")
    per_type = scores.get("ents_per_type") or {}
    support = Counter(ent.label_ for g in gold for ent in g.ents)
    return {
        "p": round(float(scores["ents_p"] or 0.0), 4),
        "r": round(float(scores["ents_r"] or 0.0), 4),
        "f": round(float(scores["ents_f"] or 0.0), 4),
        "f_all_predicted_labels": round(float(all_labels["ents_f"] or 0.0), 4),
        "scored_labels": sorted(keep) if keep is not None else list(LABELS),
        "per_type": {
            label: {k: round(float(v), 4) for k, v in vals.items()} | {"n": support[label]}
            for label, vals in sorted(per_type.items())
        },
        "sentences": len(sentences),
    }


def valid_f(nlp: Language, data_dir: Path) -> dict[str, float]:
    """Overall F per valid split, used to decide whether an optional component helps."""
    return {
        corpus: float(
            score_split(nlp, load_corpus(data_dir, corpus, "valid")[0], CORPUS_LABELS[corpus])["f"]
        )
        for corpus in CORPORA
    }


def measure_speed(nlp: Language, texts: Sequence[str], *, repeats: int = 2) -> float:
    """Measure raw-text throughput (words/s) with nlp.pipe, the way the worker calls it."""
    list(nlp.pipe(texts[:200]))  # warm-up so lazy allocations are not timed
    best = 0.0
    for _ in range(repeats):
        start = time.perf_counter()
        words = sum(len(doc) for doc in nlp.pipe(texts, batch_size=256))
        best = max(best, words / (time.perf_counter() - start))
    return round(best, 1)


def folder_size_mb(path: Path) -> float:
    """Sum file sizes under a folder, to check the shipped model stays small."""
    return round(sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6, 2)


def evaluate(
    model_dir: Path, data_dir: Path, *, blas_threads: int = 1, use_blis: bool = False
) -> dict[str, Any]:
    """Evaluate a saved model on each valid split separately and measure its speed.

    The model runs with the workers' CPU ops (numpy's BLAS, ``blas_threads`` threads, unless
    ``use_blis``: the worker settings `nlp_blas_threads` and `nlp_use_blis`), so the card's
    speed is what a worker process gets.
    """
    report: dict[str, Any] = {"valid": {}, "matmul": use_cpu_ops(blas_threads, use_blis)}
    nlp = spacy.load(model_dir)
    texts: list[str] = []
    for corpus in CORPORA:
        sents, _ = load_corpus(data_dir, corpus, "valid")
        report["valid"][corpus] = score_split(nlp, sents, CORPUS_LABELS[corpus])
        texts.extend(" ".join(s.words) for s in sents)
    report["words_per_second"] = measure_speed(nlp, texts)
    report["size_mb"] = folder_size_mb(model_dir)
    report["pipeline"] = list(nlp.pipe_names)
    embed = nlp.config["components"]["tok2vec"]["model"]["embed"]
    report["lexicons"] = list(embed.get("lexicons") or [])
    ner: Any = nlp.get_pipe("ner")
    report["labels"] = list(ner.labels)
    return report
