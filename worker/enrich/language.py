"""Language identification of title + body with py3langid (its model ships in the wheel)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

# Below this many letters a guess is kept but not called reliable.
_MIN_RELIABLE_LETTERS = 40
_MIN_RELIABLE_PROBABILITY = 0.90


@dataclass(frozen=True)
class LanguageGuess:
    """ISO 639-1 code, the detector's probability, and whether to trust it."""

    language: str | None
    confidence: float
    reliable: bool


@functools.cache
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str) -> LanguageGuess:
    """Guess the language of ``text``; empty text has no language."""
    letters = sum(ch.isalpha() for ch in text)
    if letters == 0:
        return LanguageGuess(None, 0.0, False)
    language, probability = _identifier().classify(text)
    probability = float(probability)
    reliable = letters >= _MIN_RELIABLE_LETTERS and probability >= _MIN_RELIABLE_PROBABILITY
    return LanguageGuess(str(language), round(probability, 4), reliable)
