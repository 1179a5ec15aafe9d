"""Trailing promo lines ("Click to read more from …"): removed from the body, publication kept."""

from __future__ import annotations

import re

# One pattern per phrasing; the named group is the publication the line attributes.
# Plain data so that a new language is one more line.
_PROMO_PATTERNS: tuple[str, ...] = (
    # English
    r"(?:click|tap)(?: here)? to (?:read|learn|find out) more (?:from|at|on) (?P<pub>.+)",
    r"read (?:more|the full (?:story|article)) (?:from|at|on) (?P<pub>.+)",
    r"(?:this (?:article|story) )?(?:was )?originally (?:appeared|published)"
    r" (?:in|on|by) (?P<pub>.+)",
    # Indonesian / Malay
    r"klik untuk (?:mengetahui|membaca|melihat) (?:lebih lanjut|selengkapnya)"
    r"(?: (?:dari|di|daripada))? (?P<pub>.+)",
    r"baca (?:selengkapnya|berita lengkapnya|artikel lengkapnya) (?:di|dari) (?P<pub>.+)",
    r"artikel ini (?:telah )?(?:tayang|terbit|dimuat) (?:di|pada) (?P<pub>.+)",
    # French
    r"cliquez (?:ici )?pour (?:en savoir|lire la suite|lire) (?:plus )?(?:sur|de|dans) (?P<pub>.+)",
    r"lire la suite (?:sur|dans) (?P<pub>.+)",
    r"cet article a (?:été publié|paru) (?:initialement |à l'origine |d'abord )?"
    r"(?:dans|sur|par) (?P<pub>.+)",
    # German
    r"(?:klicken sie hier, um )?mehr (?:dazu )?(?:lesen )?(?:bei|auf|von) (?P<pub>.+)",
    r"weiterlesen (?:bei|auf) (?P<pub>.+)",
    r"dieser artikel erschien zuerst (?:bei|in|auf) (?P<pub>.+)",
    # Spanish / Portuguese / Italian / Dutch
    r"(?:haga |haz )?clic (?:aquí )?para leer más (?:de|en) (?P<pub>.+)",
    r"(?:lee|leer|leia|ler) mais em (?P<pub>.+)|(?:lee|leer) más en (?P<pub2>.+)",
    r"clique (?:aqui )?para ler mais (?:de|em|no|na) (?P<pub>.+)",
    r"clicca (?:qui )?per leggere di più (?:su|da) (?P<pub>.+)",
    r"klik (?:hier )?om meer te lezen (?:van|op) (?P<pub>.+)",
)
_COMPILED = tuple(re.compile(rf"^\s*{p}\s*$", re.IGNORECASE) for p in _PROMO_PATTERNS)
_MAX_PROMO_CHARS = 200


def match_promo(line: str) -> str | None:
    """The publication a promo line names, '' for a promo without one, None if not a promo."""
    if len(line) > _MAX_PROMO_CHARS:
        return None
    for pattern in _COMPILED:
        m = pattern.match(line)
        if m:
            pub = next((g for g in m.groups() if g), "")
            return pub.strip().rstrip(".!…").strip(" \"'“”«»")
    return None


def strip_trailing_promo(paragraphs: list[str]) -> tuple[list[str], str | None]:
    """Drop a promo last paragraph and return the publication it attributes, if any."""
    if not paragraphs:
        return paragraphs, None
    publication = match_promo(paragraphs[-1])
    if publication is None:
        return paragraphs, None
    return paragraphs[:-1], publication or None
