"""Text metadata that needs no model: word count and reading time."""

from __future__ import annotations

import re

# Typical silent reading speeds: words per minute, and characters per minute for scripts
# written without spaces between words.
WORDS_PER_MINUTE = 230
CJK_CHARS_PER_MINUTE = 500
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\u0e00-\u0e7f]")
_WORD = re.compile(r"\w+(?:[-'’]\w+)*", re.UNICODE)


def word_count(text: str) -> int:
    """Words, counting each CJK/Thai character as one (those scripts have no spaces)."""
    return text_measures(text)[0]


def text_measures(text: str) -> tuple[int, float]:
    """(word count, reading minutes at least 0.1) in one pass over the text."""
    cjk = len(_CJK.findall(text))
    words = len(_WORD.findall(_CJK.sub(" ", text))) if cjk else len(_WORD.findall(text))
    minutes = max(round(words / WORDS_PER_MINUTE + cjk / CJK_CHARS_PER_MINUTE, 1), 0.1)
    return words + cjk, minutes
