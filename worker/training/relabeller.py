"""Training the entity relabeller (the runtime component is worker.enrich.entity_relabeller)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from spacy.language import Language

from worker.enrich.entity_relabeller import FACTORY as RELABELLER
from worker.enrich.entity_relabeller import is_lower_cased, span_features
from worker.training.corpus import (
    CORPORA,
    LABELS,
    SHIPPED_SELECT_ON,
    Sentence,
    augment_casing,
    bio_to_spans,
)
from worker.training.evaluate import valid_f
from worker.training.rulers import no_split_loses

# Margins tried for the entity relabeller: it retypes a span only when its classifier's score
# beats NER's type by more than this (averaged-perceptron units).
RELABEL_MARGINS: tuple[float, ...] = (4.0, 8.0, 12.0, 16.0, 24.0, 32.0)


def relabeller_examples(train: dict[str, list[Sentence]]) -> list[tuple[list[str], str]]:
    """(features, label) of every gold span in the train splits (corpus -> sentences), in both
    casings like NER sees them."""
    examples: list[tuple[list[str], str]] = []
    for corpus, lower in CORPORA.items():
        for sent in augment_casing(train[corpus], lower_cased_source=lower):
            lowered = [w.lower() for w in sent.words]
            lower_cased = is_lower_cased(" ".join(sent.words))
            for start, end, label in bio_to_spans(sent.tags):
                feats = span_features(
                    lowered,
                    start,
                    end,
                    capitalised=sent.words[start][:1].isupper(),
                    lower_cased_text=lower_cased,
                )
                examples.append((feats, label))
    return examples


def add_relabeller(
    nlp: Language, features: Sequence[str], weights: Any, margin: float
) -> None:
    """Put the entity relabeller right after ner (before the rulers, whose labels are exact)."""
    relabeller: Any = nlp.add_pipe(RELABELLER, after="ner", config={"margin": margin})
    relabeller.set_weights(features, weights, LABELS)


def choose_relabel_margin(
    nlp: Language,
    data_dir: Path,
    features: Sequence[str],
    weights: Any,
    before: dict[str, float],
    select_on: Sequence[str] = SHIPPED_SELECT_ON,
) -> tuple[str, dict[str, float]]:
    """Try each margin; keep the relabeller at the one with the best F on the ``select_on``
    valid splits (as for the checkpoint) among those where no split loses against the
    pipeline without it. Returns the verdict and the kept pipeline's scores."""
    tried: list[tuple[float, dict[str, float]]] = []
    for margin in RELABEL_MARGINS:
        add_relabeller(nlp, features, weights, margin)
        tried.append((margin, valid_f(nlp, data_dir)))
        nlp.remove_pipe(RELABELLER)
    fair = [(m, sc) for m, sc in tried if no_split_loses(before, sc)]
    listing = "; ".join(
        f"margin {m:g}: " + ", ".join(f"{c} {sc[c]:.4f}" for c in CORPORA) for m, sc in tried
    )
    head = f"{RELABELLER} ({len(features)} features; without: "
    head += ", ".join(f"{c} {before[c]:.4f}" for c in CORPORA) + f") {listing}"
    if not fair:
        return f"{head} (dropped)", before
    margin, scores = max(fair, key=lambda item: (sum(item[1][c] for c in select_on), item[0]))
    add_relabeller(nlp, features, weights, margin)
    return f"{head} (kept at margin {margin:g})", scores
