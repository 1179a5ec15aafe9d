"""Gazetteer rulers that may follow ner, and the rule that keeps one only if no split loses."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from spacy.language import Language

from worker.training.corpus import CORPORA, Sentence, bio_to_spans
from worker.training.evaluate import valid_f

# Leading government-form words dropped to get the short country name used in news.
_GOVERNMENT_FORMS: tuple[str, ...] = ("Federasi ", "Republik ", "Kerajaan ", "Negara ")


def country_names() -> list[str]:
    """List Indonesian country names (pycountry's gettext catalogue) for the LOC gazetteer."""
    import gettext

    import pycountry

    translation = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["id"])
    names: set[str] = set()
    for country in pycountry.countries:
        for attr in ("name", "common_name"):
            english = getattr(country, attr, None)
            if not english:
                continue
            local = translation.gettext(english).split(",")[0].split("(")[0].strip()
            names.add(local)
            for form in _GOVERNMENT_FORMS:
                if local.startswith(form) and " " not in local[len(form) :]:
                    names.add(local[len(form) :])
    return sorted(n for n in names if len(n) >= 4)


def country_patterns() -> list[dict[str, str]]:
    """LOC patterns for the Indonesian country names."""
    return [{"label": "LOC", "pattern": name} for name in country_names()]


def train_entity_patterns(
    sentences: Sequence[Sentence], *, min_count: int = 2, min_share: float = 0.9
) -> list[dict[str, str]]:
    """Entity strings the train splits label one way, often and nearly wherever they occur.

    A string qualifies when its commonest label was given at least ``min_count`` times and
    in at least ``min_share`` of all its occurrences as words (labelled or not), so words
    like "konser", an EVENT only sometimes, stay out. Matching is on lower-cased text.
    """
    labels: dict[tuple[str, ...], Counter[str]] = {}
    lowered = [tuple(w.lower() for w in s.words) for s in sentences]
    for words, sent in zip(lowered, sentences, strict=True):
        for start, end, label in bio_to_spans(sent.tags):
            labels.setdefault(words[start:end], Counter())[label] += 1
    longest = max((len(k) for k in labels), default=0)
    occurrences: Counter[tuple[str, ...]] = Counter()
    for words in lowered:
        for n in range(1, longest + 1):
            for i in range(len(words) - n + 1):
                if words[i : i + n] in labels:
                    occurrences[words[i : i + n]] += 1
    patterns = []
    for words, counts in sorted(labels.items()):
        label, n = counts.most_common(1)[0]
        if n >= min_count and n / max(occurrences[words], n) >= min_share:
            patterns.append({"label": label, "pattern": " ".join(words)})
    return patterns


def add_ruler(nlp: Language, name: str, patterns: list[dict[str, str]]) -> None:
    """Add an entity ruler at the end that labels matches only where ner found nothing."""
    ruler: Any = nlp.add_pipe(
        "entity_ruler",
        name=name,
        after=nlp.pipe_names[-1],
        config={"overwrite_ents": False, "phrase_matcher_attr": "LOWER"},
    )
    ruler.add_patterns(patterns)


def no_split_loses(before: dict[str, float], after: dict[str, float]) -> bool:
    """A ruler earns its place only if no valid split loses F: a gain on one split does not
    buy a loss on the other (the worker's own gazetteer already adds missed country names)."""
    return all(after[c] >= before[c] for c in before)


def keep_if_it_helps(
    nlp: Language,
    data_dir: Path,
    name: str,
    patterns: list[dict[str, str]],
    before: dict[str, float],
) -> tuple[str, dict[str, float]]:
    """Add a ruler, keep it if no split loses; return the verdict and the pipeline's scores."""
    add_ruler(nlp, name, patterns)
    after = valid_f(nlp, data_dir)
    kept = no_split_loses(before, after)
    if not kept:
        nlp.remove_pipe(name)
    scores = ", ".join(f"{c} F {before[c]:.4f} -> {after[c]:.4f}" for c in CORPORA)
    verdict = f"{name} ({len(patterns)} patterns): {scores} ({'kept' if kept else 'dropped'})"
    return verdict, after if kept else before
