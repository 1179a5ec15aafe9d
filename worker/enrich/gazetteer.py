"""Rules beside the model: names from the alias table found where the model found nothing.

A small NER model misses well-known names it rarely saw in training ("ISIS" in Indonesian
news). Every alias of `config/entity_aliases.yaml` that occurs in the text, outside any
span the model already tagged, becomes a mention with the table's label. Short aliases
("AS", "US") must match case exactly; longer ones match in any case, so lower-cased text
works too.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

import yaml

from worker.enrich.normalise import ALIAS_FILE, ANY_LANGUAGE
from worker.record import Mention

CASE_SENSITIVE_UP_TO = 3  # characters


@functools.cache
def _patterns(
    language: str, config_dir: Path
) -> tuple[re.Pattern[str] | None, re.Pattern[str] | None, dict[str, str]]:
    """(case-sensitive pattern, case-insensitive pattern, folded alias -> label)."""
    path = config_dir / ALIAS_FILE
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    labels: dict[str, str] = {}
    country_label = str((data.get("countries") or {}).get("label", "LOC"))
    for entry in data.get("entities") or []:
        label = entry.get("label") or (
            country_label if str(entry["id"]).startswith("country:") else None
        )
        if label is None:
            continue
        aliases = entry.get("aliases") or []
        if isinstance(aliases, dict):
            aliases = [*aliases.get(ANY_LANGUAGE, []), *aliases.get(language, [])]
        for alias in {*aliases, *([entry["name"]] if entry.get("name") else [])}:
            labels.setdefault(str(alias).casefold(), str(label))
    for label, names in (data.get("gazetteer") or {}).items():
        for name in names:
            labels.setdefault(str(name).casefold(), str(label))
    short = sorted((a for a in labels if len(a) <= CASE_SENSITIVE_UP_TO), key=len, reverse=True)
    long = sorted((a for a in labels if len(a) > CASE_SENSITIVE_UP_TO), key=len, reverse=True)
    exact = _alternation([a.upper() for a in short], 0)
    loose = _alternation(long, re.IGNORECASE)
    return exact, loose, labels


def _alternation(aliases: list[str], flags: int) -> re.Pattern[str] | None:
    if not aliases:
        return None
    body = "|".join(re.escape(a) for a in aliases)
    return re.compile(rf"(?<!\w)(?:{body})(?!\w)", flags)


def apply_gazetteer(
    text: str, language: str, found: list[Mention], config_dir: Path
) -> list[Mention]:
    """The model's mentions plus alias-table names it missed, in text order.

    A table name that strictly contains model mentions replaces them ("Organisasi untuk
    Keamanan dan Kerja Sama di Eropa" over the model's "Eropa"); one that partly overlaps a
    model mention is left out (the model's boundary wins).
    """
    exact, loose, labels = _patterns(language, config_dir)
    kept = list(found)
    added: list[Mention] = []
    for pattern in (loose, exact):
        if pattern is None:
            continue
        for match in pattern.finditer(text):
            start, end = match.span()
            overlapping = [m for m in kept + added if m.start < end and start < m.end]
            if any(not (start <= m.start and m.end <= end) or (m.start, m.end) == (start, end)
                   for m in overlapping):
                continue
            kept = [m for m in kept if m not in overlapping]
            added = [m for m in added if m not in overlapping]
            label = labels[match.group(0).casefold()]
            added.append(Mention(text=match.group(0), label=label, start=start, end=end))
    return sorted(kept + added, key=lambda m: m.start)
