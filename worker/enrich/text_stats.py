"""Text metadata that needs no model: word count, reading time, keyphrases (YAKE)."""

from __future__ import annotations

import functools
import re
from typing import Any

# Typical silent reading speeds: words per minute, and characters per minute for scripts
# written without spaces between words.
WORDS_PER_MINUTE = 230
CJK_CHARS_PER_MINUTE = 500
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\u0e00-\u0e7f]")
_WORD = re.compile(r"\w+(?:[-'’]\w+)*", re.UNICODE)
_YAKE_LANGUAGES = frozenset({
    "ar", "bg", "br", "cz", "da", "de", "el", "en", "es", "et", "fa", "fi", "fr", "hi", "hr",
    "hu", "hy", "id", "it", "ja", "lt", "lv", "nl", "no", "pl", "pt", "ro", "ru", "sk", "sl",
    "sv", "tr", "uk", "zh",
})
MAX_KEYPHRASE_CHARS = 100_000


def word_count(text: str) -> int:
    """Words, counting each CJK/Thai character as one (those scripts have no spaces)."""
    cjk = len(_CJK.findall(text))
    return len(_WORD.findall(_CJK.sub(" ", text))) + cjk


def reading_time_minutes(text: str) -> float:
    """Minutes a reader needs, at least 0.1."""
    cjk = len(_CJK.findall(text))
    words = len(_WORD.findall(_CJK.sub(" ", text)))
    return max(round(words / WORDS_PER_MINUTE + cjk / CJK_CHARS_PER_MINUTE, 1), 0.1)


@functools.cache
def _extractor(language: str) -> Any:
    import yake

    lan = language if language in _YAKE_LANGUAGES else "noLang"
    return yake.KeywordExtractor(lan=lan, n=2, top=10, dedupLim=0.7)


def keyphrases(text: str, language: str | None, limit: int = 10) -> list[str]:
    """The text's keyphrases, most relevant first, in the language's own stopword terms."""
    if not text.strip():
        return []
    ranked = _extractor((language or "").lower()).extract_keywords(text[:MAX_KEYPHRASE_CHARS])
    return [str(phrase) for phrase, _score in ranked[:limit]]
