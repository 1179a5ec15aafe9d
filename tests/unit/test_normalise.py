"""Entity normalisation: titles, merging within a document, cross-language links, search keys."""

from __future__ import annotations

import time
from typing import Any

import pytest
import yaml

from tests.unit.shipped_config import CONFIG_DIR, ENRICHER, LAYOUT, TABLES, VOCABULARY
from worker.enrich.normalise import (
    EntityTables,
    build_tables,
    default_tables,
    normalise_entities,
    strip_titles,
)
from worker.index.documents import article_document
from worker.record import Article, Entity, Mention, Origin
from worker.search.entity_filter import entity_terms
from worker.settings import PROJECT_ROOT

CONFIG = PROJECT_ROOT / "config"


def _config(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((CONFIG / name).read_text(encoding="utf-8"))
    return data


LANGUAGES = _config("languages.yaml")


def _build(data: dict[str, Any]) -> EntityTables:
    return build_tables(
        data, languages=[*LANGUAGES["languages"], "en"], labels=LANGUAGES["index_labels"]
    )


@pytest.fixture(scope="module")
def bare() -> EntityTables:
    """The real titles and particles, but no alias entries: merging without any linking."""
    return _build({**_config("entity_aliases.yaml"), "entities": []})


def _mentions(*pairs: tuple[str, str]) -> list[Mention]:
    return [Mention(text=t, label=lbl, start=i, end=i + len(t)) for i, (t, lbl) in
            enumerate(pairs)]


def _by_key(entities: list[Entity]) -> dict[str, Entity]:
    return {e.key: e for e in entities}


# --- titles ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("Mr. Putin", "en", "Putin"),
        ("President Vladimir Putin", "en", "Vladimir Putin"),
        ("Prime Minister Narendra Modi", "en", "Narendra Modi"),
        ("Sen. Bernie Sanders", "en", "Bernie Sanders"),
        ("Bpk. Putin", "id", "Putin"),
        ("Presiden Putin", "id", "Putin"),
        ("Perdana Menteri Anwar Ibrahim", "id", "Anwar Ibrahim"),
        ("Ibu Sri Mulyani", "id", "Sri Mulyani"),
        ("Mr. Putin", "id", "Putin"),  # English titles are common in translated news
        ("M. Poutine", "fr", "Poutine"),
        ("Mme Merkel", "fr", "Merkel"),
        ("le président Macron", "fr", "Macron"),
        ("Dr Ali", "fr", "Ali"),
        ("Bpk. Putin", "en", "Bpk. Putin"),  # an Indonesian title is not English
        ("President", "en", "President"),  # never stripped down to nothing
        ("Bpk. Putin", None, "Putin"),  # language unknown: every language's titles
    ],
)
def test_personal_titles_are_stripped_per_language(
    text: str, language: str | None, expected: str
) -> None:
    assert strip_titles(text, language, personal=True, tables=TABLES) == expected


def test_leading_the_goes_from_every_label_but_titles_only_from_people() -> None:
    assert strip_titles("The White House", "en", personal=False, tables=TABLES) == "White House"
    assert strip_titles("the Kremlin", "en", personal=False, tables=TABLES) == "Kremlin"
    assert strip_titles("President Hotel", "en", personal=False, tables=TABLES) == "President Hotel"


# --- merging within a document ---------------------------------------------------------------


def test_putin_variants_become_one_person(bare: EntityTables) -> None:
    for tables in (bare, default_tables(CONFIG_DIR)):
        ms = _mentions(("Putin", "PER"), ("Mr. Putin", "PER"), ("Vladimir Putin", "PER"))
        [putin] = normalise_entities(ms, "en", tables=tables)
        assert (putin.key, putin.name, putin.label, putin.count) == (
            "PER:vladimir putin", "Vladimir Putin", "PER", 3)
        assert putin.surface_forms == ["Putin", "Vladimir Putin"]  # spans leave titles out


def test_surname_and_arabic_particles_merge_into_the_full_name(bare: EntityTables) -> None:
    ms = _mentions(("Obama", "PER"), ("Barack Obama", "PER"), ("Assad", "PER"),
                   ("al-Assad", "PER"), ("Bashar al-Assad", "PER"), ("Presiden Obama", "PER"))
    entities = _by_key(normalise_entities(ms, "id", tables=bare))
    assert set(entities) == {"PER:barack obama", "PER:bashar al-assad"}
    assert entities["PER:barack obama"].count == 3
    assert entities["PER:bashar al-assad"].count == 3
    assert entities["PER:bashar al-assad"].surface_forms == [
        "Assad", "al-Assad", "Bashar al-Assad"]
    assert entities["PER:bashar al-assad"].canonical_id is None


def test_a_surname_shared_by_two_full_names_stays_apart(bare: EntityTables) -> None:
    for tables in (bare, default_tables(CONFIG_DIR)):
        ms = _mentions(("Obama", "PER"), ("Barack Obama", "PER"), ("Michelle Obama", "PER"),
                       ("Assad", "PER"), ("Bashar al-Assad", "PER"), ("Hafez al-Assad", "PER"))
        keys = {e.key: e.count for e in normalise_entities(ms, "en", tables=tables)}
        assert keys == {"PER:obama": 1, "PER:barack obama": 1, "PER:michelle obama": 1,
                        "PER:assad": 1, "PER:bashar al-assad": 1, "PER:hafez al-assad": 1}


def test_only_people_merge_by_token_edges(bare: EntityTables) -> None:
    ms = _mentions(("York", "LOC"), ("New York", "LOC"))
    assert {e.key for e in normalise_entities(ms, "en", tables=bare)} == {
        "LOC:york", "LOC:new york"}


def test_a_dominant_model_label_absorbs_stray_ones(bare: EntityTables) -> None:
    ms = _mentions(("Stam", "PER"), ("Stam", "PER"), ("Stam", "ORG"),
                   ("Maersk", "ORG"), ("Maersk", "PER"))
    entities = _by_key(normalise_entities(ms, "en", tables=bare))
    assert entities["PER:stam"].count == 3
    assert "ORG:stam" not in entities
    assert {"ORG:maersk", "PER:maersk"} <= set(entities)  # one against one: no winner


def test_unlinked_entity_keeps_a_stable_key(bare: EntityTables) -> None:
    ms = _mentions(("Niek Stam", "PER"), ("Mr. Stam", "PER"), ("Rotterdamse Haven", "ORG"))
    first = normalise_entities(ms, "en", tables=TABLES)
    again = normalise_entities(list(reversed(ms)), "en", tables=TABLES)
    assert {e.key for e in first} == {e.key for e in again} == {
        "PER:niek stam", "ORG:rotterdamse haven"}
    stam = _by_key(first)["PER:niek stam"]
    assert (stam.name, stam.count, stam.canonical_id) == ("Niek Stam", 2, None)


# --- cross-language links --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("surfaces", "canonical_id", "key"),
    [
        ([("Suriah", "id"), ("Syria", "en"), ("Syrie", "fr"), ("SYRIE", "fr")],
         "country:SY", "LOC:syria"),
        ([("Rusia", "id"), ("Russia", "en"), ("Russie", "fr"), ("Russian Federation", "en")],
         "country:RU", "LOC:russia"),
        ([("AS", "id"), ("Amerika Serikat", "id"), ("United States", "en"), ("US", "en"),
          ("U.S.", "en"), ("États-Unis", "fr"), ("Etats-Unis", "fr")],
         "country:US", "LOC:united states"),
        ([("Jerman", "id"), ("Germany", "en"), ("Allemagne", "fr")], "country:DE", "LOC:germany"),
        ([("Moskow", "id"), ("Moscow", "en"), ("Moscou", "fr")], "city:moscow", "LOC:moscow"),
        ([("München", "en"), ("Munchen", "id"), ("Munich", "fr")], "city:munich", "LOC:munich"),
        ([("Gedung Putih", "id"), ("the White House", "en"), ("Maison Blanche", "fr")],
         "org:white-house", "ORG:white house"),
        ([("ISIS", "en"), ("Negara Islam", "id"), ("État islamique", "fr"), ("Daesh", "en")],
         "org:isis", "ORG:isis"),
        ([("PBB", "id"), ("United Nations", "en"), ("ONU", "fr"), ("U.N.", "en")],
         "org:united-nations", "ORG:united nations"),
        ([("Organisasi untuk Keamanan dan Kerja Sama di Eropa", "id"), ("OSCE", "en"),
          ("Organization for Security and Co-operation in Europe", "en")],
         "org:osce", "ORG:osce"),
    ],
)
def test_names_link_across_languages(
    surfaces: list[tuple[str, str]], canonical_id: str, key: str
) -> None:
    for text, language in surfaces:
        [entity] = normalise_entities(_mentions((text, "LOC")), language, tables=TABLES)
        assert (text, entity.canonical_id, entity.key) == (text, canonical_id, key)


def test_people_link_across_spellings() -> None:
    for text in ("Vladimir Poutine", "M. Vladimir Poutine", "Presiden Vladimir Putin"):
        [entity] = normalise_entities(_mentions((text, "PER")), None, tables=TABLES)
        assert (entity.canonical_id, entity.name) == ("per:vladimir-putin", "Vladimir Putin")
    [assad] = normalise_entities(_mentions(("Bachar el-Assad", "PER")), "fr", tables=TABLES)
    assert (assad.canonical_id, assad.key) == ("per:bashar-al-assad", "PER:bashar al-assad")


def test_table_label_wins_over_the_model_label() -> None:
    ms = _mentions(("Kremlin", "LOC"), ("Kremlin", "PER"), ("Gedung Putih", "LOC"))
    entities = _by_key(normalise_entities(ms, "id", tables=TABLES))
    assert set(entities) == {"ORG:kremlin", "ORG:white house"}
    assert entities["ORG:kremlin"].count == 2
    assert entities["ORG:kremlin"].canonical_id == "org:kremlin"


def test_links_respect_language_scope_and_model_labels() -> None:
    [as_en] = normalise_entities(_mentions(("AS", "ORG")), "en", tables=TABLES)
    assert as_en.canonical_id is None  # "AS" is the United States in Indonesian only
    [jordan] = normalise_entities(_mentions(("Jordan", "PER")), "en", tables=TABLES)
    assert (jordan.key, jordan.canonical_id) == ("PER:jordan", None)
    [country] = normalise_entities(_mentions(("Jordan", "LOC")), "en", tables=TABLES)
    assert country.canonical_id == "country:JO"


def test_broken_tables_fail_at_start_up() -> None:
    good = {"entities": [{"id": "org:x", "label": "ORG", "name": "X", "aliases": ["Ex"]}]}
    assert _build(good).entries["org:x"].name == "X"
    for bad in (
        {"entities": [{"id": "org:x", "label": "ORG", "name": "X"},
                      {"id": "org:y", "label": "ORG", "name": "Y", "aliases": ["x"]}]},
        {"entities": [{"id": "org:x", "label": "COMPANY", "name": "X"}]},
        {"entities": [{"id": "country:ZZ", "aliases": ["Zedland"]}]},
        {"entities": [{"id": "no spaces allowed", "label": "ORG", "name": "X"}]},
    ):
        with pytest.raises(ValueError):
            _build(bad)


# --- what the index gets ---------------------------------------------------------------------


def test_entity_keys_serve_every_search_filter() -> None:
    ms = _mentions(("Suriah", "LOC"), ("Mr. Putin", "PER"), ("Vladimir Putin", "PER"),
                   ("Gedung Putih", "LOC"), ("Trump", "PER"))
    article = Article(id="t1", origin=Origin(kind="seed", location="/s/a.txt"), title="",
                      body="x", language="id", mentions=ms,
                      entities=normalise_entities(ms, "id", tables=TABLES))
    doc = article_document(article, TABLES, LAYOUT)
    keys = set(doc["entity_keys"])
    assert {"country:SY", "org:white-house", "per:vladimir-putin"} <= keys
    for value in ("LOC:Suriah", "LOC:Syria", "country:SY", "ORG:Gedung Putih",
                  "ORG:White House", "org:white-house", "PER:Putin", "PER:Vladimir Putin",
                  "per:vladimir-putin", "PER:Trump"):
        assert set(entity_terms(value, VOCABULARY, TABLES)) & keys, value
    assert "PER:mr. putin" not in keys
    assert doc["entities"][0]["canonical_id"] in {"country:SY", "per:vladimir-putin",
                                                  "org:white-house"}


def test_normalising_is_fast() -> None:
    names = [("Suriah", "LOC"), ("Mr. Putin", "PER"), ("Vladimir Putin", "PER"), ("AS", "LOC"),
             ("Gedung Putih", "ORG"), ("Niek Stam", "PER"), ("Stam", "PER"), ("Obama", "PER")]
    ms = _mentions(*(names * 250))
    default_tables(CONFIG_DIR)
    started = time.perf_counter()
    entities = normalise_entities(ms, "id", tables=TABLES)
    per_mention = (time.perf_counter() - started) / len(ms)
    assert sum(e.count for e in entities) == len(ms)
    assert per_mention < 0.0002, f"{per_mention * 1e6:.0f} µs per mention"


def test_real_english_pipeline_merges_putin() -> None:
    text = ("Mr. Putin met reporters in Moscow on Monday. Vladimir Putin said the talks with "
            "the White House had been useful.")
    result = ENRICHER.annotate(text, "en")
    people = [e for e in result.entities if "Putin" in e.name]
    assert len(people) == 1
    [putin] = people
    assert (putin.key, putin.count, putin.canonical_id) == (
        "PER:vladimir putin", 2, "per:vladimir-putin")
