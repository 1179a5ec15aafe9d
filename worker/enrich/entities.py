"""Named entities: mentions from a spaCy pipeline, merged into one entity per name."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from worker.record import Mention

# spaCy's own limit is 1,000,000 characters; we stay far below it so memory stays flat.
MAX_CHUNK_CHARS = 50_000
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_SENTENCE_END = re.compile(r"[.!?。！？…][\"'”»)]*\s+")


def text_chunks(text: str, max_chars: int = MAX_CHUNK_CHARS) -> Iterator[tuple[int, str]]:
    """(offset, chunk) pairs: paragraphs, and long paragraphs cut at sentence ends."""
    position = 0
    for match in [*_PARAGRAPH_BREAK.finditer(text), None]:
        end = match.start() if match else len(text)
        yield from _bounded(text, position, end, max_chars)
        if match:
            position = match.end()


def _bounded(text: str, start: int, end: int, max_chars: int) -> Iterator[tuple[int, str]]:
    while end - start > max_chars:
        window = text[start : start + max_chars]
        cuts = [m.end() for m in _SENTENCE_END.finditer(window)]
        cut = cuts[-1] if cuts else (window.rfind(" ") + 1 or max_chars)
        yield start, text[start : start + cut]
        start += cut
    if text[start:end].strip():
        yield start, text[start:end]


def doc_mentions(doc: Any, offset: int, labels: dict[str, str]) -> list[Mention]:
    """A chunk's entity mentions, offsets shifted into the whole text; labels outside
    ``labels`` (dates, numbers...) are dropped."""
    mentions = []
    for ent in doc.ents:
        label = labels.get(ent.label_)
        if label:
            mentions.append(Mention(text=ent.text, label=label, start=offset + ent.start_char,
                                    end=offset + ent.end_char))
    return mentions


def entity_name(surface: str) -> str:
    """Display name of a mention: inner whitespace collapsed, edge punctuation dropped."""
    return " ".join(surface.split()).strip(" .,;:\"'“”‘’«»()")
