"""Keyphrases a reader would pick, on our own gold articles (the seeds), in four languages.

Measured when YAKE was replaced: these gold lists were found 17 of 32 times by YAKE
(n=2, top 10) and 24 of 32 times by the token-statistics extractor.
"""

from __future__ import annotations

import pytest

from tests.unit.shipped_config import ENRICHER
from worker.record import Origin
from worker.settings import PROJECT_ROOT
from worker.sources.seed_files import parse_seed_bytes

GOLD = {
    "000_fbcae026f709bea4.txt": ["Suriah", "Rusia", "Putin", "Obama", "gencatan senjata",
                                 "Gedung Putih", "Aleppo", "Assad"],
    "en_harbour_strike.txt": ["Rotterdam", "strike", "dock workers", "wage", "Niek Stam",
                              "FNV Havens", "Maersk", "union"],
    "fr_vendanges.txt": ["Bourgogne", "vendanges", "vignerons", "récolte",
                         "Louis Fabrice Latour", "Beaune", "températures", "Champagne"],
    "de_bahn.txt": ["Deutsche Bahn", "Berlin", "München", "Schnellzüge", "Volker Wissing",
                    "Verkehrswende", "Fahrzeit", "Preise"],
}


def seed_text(name: str) -> str:
    raw = (PROJECT_ROOT / "seeds" / name).read_bytes()
    [article] = parse_seed_bytes(raw, Origin(kind="seed", location=name), max_bytes=10**7,
                                 max_text_chars=10**7)
    return article.analysed_text


def found(gold: list[str], phrases: list[str]) -> list[str]:
    """Gold phrases that one of the keyphrases holds."""
    folded = [p.casefold() for p in phrases]
    return [g for g in gold if any(g.casefold() in p for p in folded)]


@pytest.mark.parametrize("name", sorted(GOLD))
def test_gold_keyphrases_are_found(name: str) -> None:
    phrases = ENRICHER.annotate(seed_text(name)).keyphrases
    assert len(phrases) == 10
    assert len(found(GOLD[name], phrases)) >= 5, phrases


def test_names_are_whole_and_stop_words_never_stand_alone() -> None:
    phrases = ENRICHER.annotate(seed_text("fr_vendanges.txt")).keyphrases
    assert "Louis Fabrice Latour" in phrases
    assert not {"Louis", "Fabrice", "Latour"} & set(phrases)  # covered by the name
    assert not {"le", "la", "de", "les", "des"} & {p.casefold() for p in phrases}


def test_a_lower_case_pair_must_recur() -> None:
    once = "The council voted on Monday. Critics said the tram plan was costly and slow."
    twice = once + " The tram plan will be built anyway, and the tram plan starts in May."
    assert "tram plan" not in ENRICHER.annotate(once, "en").keyphrases
    assert "tram plan" in ENRICHER.annotate(twice, "en").keyphrases


def test_languages_without_a_model_get_keyphrases_from_their_tokenizer() -> None:
    text = ("O Governo de Portugal aprovou na terça-feira o novo plano de habitação. O plano de "
            "habitação inclui apoios para jovens em Lisboa e no Porto. O plano de habitação "
            "entra em vigor em janeiro.")
    annotation = ENRICHER.annotate(text)
    assert annotation.ner_status == "unsupported"
    assert "plano" in " ".join(annotation.keyphrases) and "o" not in annotation.keyphrases
    assert ENRICHER.annotate("12345 !!!").keyphrases == []
