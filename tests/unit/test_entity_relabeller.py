"""The entity relabeller retypes confidently mislabelled spans and never touches boundaries."""

from __future__ import annotations

from pathlib import Path

import numpy
import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span

from worker.enrich.entity_relabeller import (
    FACTORY,
    EntityRelabeller,
    is_lower_cased,
    span_features,
    train_weights,
)

LABELS = ("PER", "ORG", "LOC")


def features_of(words: list[str], start: int, end: int) -> list[str]:
    return span_features(
        [w.lower() for w in words],
        start,
        end,
        capitalised=words[start][:1].isupper(),
        lower_cased_text=is_lower_cased(" ".join(words)),
    )


def toy_examples() -> list[tuple[list[str], str]]:
    """Places after "di", organisations after "perusahaan", people after "kata"."""
    rows = [
        (["banjir", "di", "Bandung", "surut"], 2, 3, "LOC"),
        (["hujan", "di", "Bogor", "deras"], 2, 3, "LOC"),
        (["macet", "di", "Depok", "pagi"], 2, 3, "LOC"),
        (["saham", "perusahaan", "Pertamina", "naik"], 2, 3, "ORG"),
        (["laba", "perusahaan", "Telkom", "turun"], 2, 3, "ORG"),
        (["kata", "Budi", "Santoso", "kemarin"], 1, 3, "PER"),
        (["kata", "Siti", "Aminah", "kemarin"], 1, 3, "PER"),
    ]
    return [(features_of(w, s, e), label) for w, s, e, label in rows] * 3


def make_relabeller(nlp: Language, margin: float) -> EntityRelabeller:
    features, weights = train_weights(toy_examples(), LABELS, epochs=5, min_count=1)
    relabeller = nlp.add_pipe(FACTORY, config={"margin": margin})
    assert isinstance(relabeller, EntityRelabeller)
    relabeller.set_weights(features, weights, LABELS)
    return relabeller


def doc_with(nlp: Language, words: list[str], start: int, end: int, label: str) -> Doc:
    doc = Doc(nlp.vocab, words=words)
    doc.ents = [Span(doc, start, end, label=label)]
    return doc


def test_features_describe_span_context_and_casing() -> None:
    feats = features_of(["Banjir", "di", "Bandung", "surut"], 2, 3)
    assert "S=bandung" in feats
    assert "P1=di" in feats and "N1=surut" in feats
    assert "CAP=True" in feats and "LOWERTEXT=False" in feats
    assert "C3=<ba" in feats and "C4=ung>" in feats
    lowered = features_of(["banjir", "di", "bandung"], 2, 3)
    assert "CAP=False" in lowered and "LOWERTEXT=True" in lowered and "N1=</s>" in lowered


def test_training_is_deterministic_and_drops_rare_features() -> None:
    first = train_weights(toy_examples(), LABELS, min_count=1, seed=3)
    second = train_weights(toy_examples(), LABELS, min_count=1, seed=3)
    assert first[0] == second[0]
    assert numpy.array_equal(first[1], second[1])
    few = train_weights(toy_examples(), LABELS, min_count=4)
    # each toy example is repeated 3 times: features seen fewer than 4 times are dropped
    assert "S=bandung" not in few[0] and "P1=di" in few[0]


def test_confident_mislabel_is_retyped_and_boundaries_kept() -> None:
    nlp = spacy.blank("id")
    make_relabeller(nlp, margin=0.5)
    doc = nlp(doc_with(nlp, ["banjir", "di", "Cianjur", "surut"], 2, 3, "PER"))
    assert [(e.start, e.end, e.label_) for e in doc.ents] == [(2, 3, "LOC")]


def test_high_margin_leaves_ner_label_alone() -> None:
    nlp = spacy.blank("id")
    make_relabeller(nlp, margin=1e6)
    doc = nlp(doc_with(nlp, ["banjir", "di", "Cianjur", "surut"], 2, 3, "PER"))
    assert [(e.start, e.end, e.label_) for e in doc.ents] == [(2, 3, "PER")]


def test_labels_it_does_not_know_are_left_alone() -> None:
    nlp = spacy.blank("id")
    make_relabeller(nlp, margin=0.0)
    doc = nlp(doc_with(nlp, ["banjir", "di", "Cianjur", "surut"], 2, 3, "FOOD"))
    assert [e.label_ for e in doc.ents] == ["FOOD"]


def test_saved_pipeline_relabels_the_same_way(tmp_path: Path) -> None:
    nlp = spacy.blank("id")
    make_relabeller(nlp, margin=0.5)
    nlp.to_disk(tmp_path / "model")
    loaded = spacy.load(tmp_path / "model")
    assert loaded.get_pipe(FACTORY).margin == 0.5  # type: ignore[attr-defined]
    for words, start, end in (
        (["saham", "perusahaan", "Astra", "naik"], 2, 3),
        (["kata", "Joko", "Susilo", "kemarin"], 1, 3),
    ):
        original = nlp(doc_with(nlp, words, start, end, "LOC"))
        again = loaded(doc_with(loaded, words, start, end, "LOC"))
        assert [e.label_ for e in again.ents] == [e.label_ for e in original.ents] != ["LOC"]
