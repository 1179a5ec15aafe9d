"""Document-level entity typing: one label per entity on all its mentions, name-only spans,
place articles, and places a model took for people."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from tests.unit.shipped_config import CONFIG_DIR, ENRICHER, TABLES
from worker.enrich.normalise import (
    EntityTables,
    build_tables,
    normalise_mentions,
    search_names,
)
from worker.record import Entity, Mention


def _mentions(text: str, *spans: tuple[str, str]) -> list[Mention]:
    """Mentions of ``spans`` (surface, label) found in order in ``text``."""
    found, position = [], 0
    for surface, label in spans:
        start = text.index(surface, position)
        found.append(Mention(text=surface, label=label, start=start, end=start + len(surface)))
        position = start + len(surface)
    return found


def _typed(text: str, language: str, *spans: tuple[str, str]) -> tuple[list[Mention],
                                                                        list[Entity]]:
    mentions, entities = normalise_mentions(_mentions(text, *spans), language, tables=TABLES)
    assert all(text[m.start : m.end] == m.text for m in mentions)  # offsets still index text
    return mentions, entities


def test_every_mention_carries_its_entitys_label_and_the_model_label_is_kept() -> None:
    text = "Kremlin dan Barat. Kremlin menolak. Gedung Putih diam. Kremlin lagi."
    mentions, entities = _typed(text, "id", ("Kremlin", "LOC"), ("Barat", "PER"),
                                ("Kremlin", "PER"), ("Gedung Putih", "LOC"), ("Kremlin", "ORG"))
    assert [(m.text, m.label, m.model_label) for m in mentions] == [
        ("Kremlin", "ORG", "LOC"), ("Barat", "LOC", "PER"), ("Kremlin", "ORG", "PER"),
        ("Gedung Putih", "ORG", "LOC"), ("Kremlin", "ORG", None)]
    labels = {e.name: (e.label, e.count) for e in entities}
    assert labels == {"Kremlin": ("ORG", 3), "White House": ("ORG", 1), "Barat": ("LOC", 1)}


def test_spans_leave_titles_and_leading_words_out() -> None:
    text = ("Percakapan antara Bpk. Putin dan Mr. Obama. "
            "The Kremlin said \u201cPresiden Putin\u201d.")
    mentions, entities = _typed(text, "id", ("Bpk. Putin", "PER"), ("Mr. Obama", "PER"),
                                ("The Kremlin", "ORG"), ("\u201cPresiden Putin\u201d", "ORG"))
    assert [(m.text, m.label, m.title) for m in mentions] == [
        ("Putin", "PER", "Bpk."), ("Obama", "PER", "Mr."), ("Kremlin", "ORG", None),
        ("Putin", "PER", "Presiden")]
    # "Presiden Putin" tagged ORG is the "Putin" of this document: one person.
    putin = next(e for e in entities if e.key == "PER:putin")
    assert (putin.count, putin.surface_forms) == (2, ["Putin"])


def test_a_title_alone_is_never_stripped_to_nothing_and_a_final_dot_stays() -> None:
    mentions, _ = _typed("President and U.S. met", "en", ("President", "PER"), ("U.S.", "LOC"))
    assert [m.text for m in mentions] == ["President", "U.S."]


@pytest.mark.parametrize(
    ("language", "text", "surface", "span", "canonical_id"),
    [
        ("fr", "Il a dit que la France soutient.", "la France", "France", "country:FR"),
        ("fr", "La France a voté.", "La France", "France", "country:FR"),
        ("fr", "Il soutient le Maroc.", "le Maroc", "Maroc", "country:MA"),
        ("fr", "Il a visité l'Iran.", "l'Iran", "Iran", "country:IR"),
        ("fr", "Il a visité l\u2019Iran.", "l\u2019Iran", "Iran", "country:IR"),
        ("es", "Llegó a el Perú ayer.", "el Perú", "Perú", "country:PE"),
        ("es", "Según El País, no.", "El País", "El País", None),
        ("fr", "Selon Le Monde, oui.", "Le Monde", "Le Monde", None),
        ("it", "Secondo La Stampa, sì.", "La Stampa", "La Stampa", None),
        ("es", "Viajó a El Salvador.", "El Salvador", "El Salvador", "country:SV"),
        ("en", "She flew to La Paz.", "La Paz", "La Paz", None),  # no articles in English
    ],
)
def test_a_leading_article_goes_only_before_a_known_place(
    language: str, text: str, surface: str, span: str, canonical_id: str | None
) -> None:
    [mention], [entity] = _typed(text, language, (surface, "LOC"))
    assert (mention.text, entity.canonical_id) == (span, canonical_id)


def test_la_france_is_found_by_an_entity_filter_on_france() -> None:
    text = "Le ministre a rappelé que la France soutient le Maroc."
    result = ENRICHER.annotate(text, "fr")
    france = next(e for e in result.entities if e.canonical_id == "country:FR")
    assert ("LOC", "France") in search_names(france, "fr", tables=TABLES)
    assert "la France" not in {m.text for m in result.mentions}


@pytest.mark.parametrize(
    ("language", "surface", "model_label", "label", "canonical_id"),
    [
        ("id", "Rusia", "PER", "LOC", "country:RU"),  # countries link from PER too
        ("es", "México", "PER", "LOC", "country:MX"),
        ("en", "Rotterdam", "PER", "LOC", None),  # typed_names
        ("id", "Barat", "PER", "LOC", None),  # the West, in Indonesian
        ("en", "Barat", "PER", "PER", None),  # ... in Indonesian only
        ("id", "Assad", "ORG", "PER", None),  # gazetteer names type their mentions
        ("en", "Jordan", "PER", "PER", None),  # a country that is also a person's name
        ("en", "Washington", "PER", "PER", None),  # the city does not take PER mentions
        ("es", "Barcelona", "ORG", "ORG", None),  # the club: no change within non-persons
        ("id", "Moskow", "PER", "LOC", "city:moscow"),
    ],
)
def test_places_a_model_took_for_people_are_places(
    language: str, surface: str, model_label: str, label: str, canonical_id: str | None
) -> None:
    [mention], [entity] = _typed(f"{surface} hari ini.", language, (surface, model_label))
    assert (mention.label, entity.label, entity.canonical_id) == (label, label, canonical_id)
    assert mention.model_label == (model_label if model_label != label else None)


def test_typed_assad_joins_the_full_name() -> None:
    text = "Bashar al-Assad berkata. Assad menolak."
    mentions, entities = _typed(text, "id", ("Bashar al-Assad", "PER"), ("Assad", "ORG"))
    assert [m.label for m in mentions] == ["PER", "PER"]
    [assad] = entities
    assert (assad.canonical_id, assad.count) == ("per:bashar-al-assad", 2)


def test_a_mention_without_a_name_belongs_to_no_entity() -> None:
    mentions, entities = _typed("Ada \u201c\u201d di sini. Putin.", "id", ("\u201c\u201d", "PER"),
                                ("Putin", "PER"))
    assert [m.text for m in mentions] == ["Putin"]
    assert sum(e.count for e in entities) == len(mentions)


def _build(data: dict[str, Any]) -> EntityTables:
    langs = yaml.safe_load((CONFIG_DIR / "languages.yaml").read_text(encoding="utf-8"))
    return build_tables(data, languages=["en"], labels=langs["index_labels"])


def test_typed_names_and_place_articles_are_validated() -> None:
    tables = _build({"typed_names": {"LOC": {"id": ["Barat"], "*": ["Rotterdam"]}},
                     "gazetteer": {"PER": ["Assad"]}, "place_articles": {"fr": ["la", "l\u2019"]}})
    assert tables.typed_label("barat", "id") == "LOC"
    assert tables.typed_label("barat", "en") is None
    assert tables.typed_label("rotterdam", "en", "ORG") is None  # not across the person line
    assert tables.typed_label("assad", None, "ORG") == "PER"
    assert tables.place_articles["fr"] == ("la", "l'")
    for bad in ({"typed_names": {"CITY": ["Rotterdam"]}},
                {"typed_names": {"LOC": ["Assad"]}, "gazetteer": {"PER": ["Assad"]}},
                {"typed_names": ["Rotterdam"]}):
        with pytest.raises(ValueError):
            _build(bad)


def test_a_title_goes_from_the_span_of_a_name_found_without_it() -> None:
    [mention], [entity] = _typed("Kata Presiden Rusia hari ini.", "id",
                                 ("Presiden Rusia", "PER"))
    assert (mention.text, mention.label, mention.title) == ("Rusia", "LOC", "Presiden")
    assert entity.canonical_id == "country:RU"
