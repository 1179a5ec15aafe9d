"""English and French NER on our own hand-labelled sentences, with F1 floors per type.

Floors are the measured scores minus a margin; a model or rule change that costs more fails.
(Indonesian has its own gold set in test_ner_id_model.py.)
"""

from __future__ import annotations

import pytest

from tests.unit.gold_ner import ENGLISH, FRENCH, score

FLOORS = {
    "en": {"ALL": 0.75, "PER": 0.80, "LOC": 0.90, "ORG": 0.45},
    "fr": {"ALL": 0.80, "PER": 0.90, "LOC": 0.90, "ORG": 0.55},
}


@pytest.mark.parametrize(("language", "gold"), [("en", ENGLISH), ("fr", FRENCH)])
def test_f1_per_type_above_floor(language: str, gold: list) -> None:  # type: ignore[type-arg]
    scores = score(gold, language)
    below = {label: round(scores[label]["f"], 2) for label, floor in FLOORS[language].items()
             if scores[label]["f"] < floor}
    assert below == {}, scores
