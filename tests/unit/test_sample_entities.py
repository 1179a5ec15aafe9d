"""The user's Indonesian sample: its entities found with the right type, merged and linked."""

from __future__ import annotations

from pathlib import Path

from tests.unit.shipped_config import CONFIG_DIR, ENRICHER
from worker.enrich.gazetteer import apply_gazetteer
from worker.record import Mention, Origin
from worker.sources.seed_files import parse_seed_bytes

SAMPLE = Path(__file__).resolve().parents[2] / "seeds" / "000_fbcae026f709bea4.txt"


def _sample_entities() -> dict[str, tuple[str, int, list[str]]]:
    [article] = parse_seed_bytes(SAMPLE.read_bytes(), Origin(kind="seed", location="s.txt"),
                                 max_bytes=10**6, max_text_chars=10**6)
    enriched = ENRICHER.enrich(article)
    assert (enriched.language, enriched.ner_status) == ("id", "ok")
    return {e.name: (e.label, e.count, e.surface_forms) for e in enriched.entities}


def test_sample_people_places_and_organisations() -> None:
    found = _sample_entities()
    expected = {
        "Vladimir Putin": "PER", "Barack Obama": "PER", "Bashar al-Assad": "PER",
        "Syria": "LOC", "Russia": "LOC", "Aleppo": "LOC", "Minsk": "LOC", "Moscow": "LOC",
        "Washington": "LOC", "Ukraine": "LOC", "Kremlin": "ORG", "White House": "ORG",
        "ISIS": "ORG",
    }
    assert {name: found[name][0] for name in expected if name in found} == expected
    # "Rusia" is a country, not a person (the English model's mistake on this text).
    assert all(label != "PER" for label, _, forms in found.values() if "Rusia" in forms)


def test_sample_mentions_are_merged_and_linked_across_languages() -> None:
    found = _sample_entities()
    _label, count, forms = found["Vladimir Putin"]
    assert count >= 4 and {"Putin", "Vladimir Putin"} <= set(forms)
    assert found["Barack Obama"][1] >= 5
    assert "Assad" in found["Bashar al-Assad"][2]
    assert found["Syria"][2] == ["Suriah"] and found["Syria"][1] >= 10
    assert found["White House"][2] == ["Gedung Putih"]


def test_gazetteer_adds_missed_names_and_prefers_longer_table_names() -> None:
    text = "Pasukan ISIS mundur. Organisasi untuk Keamanan dan Kerja Sama di Eropa hadir."
    eropa = text.index("Eropa")
    model = [Mention(text="Eropa", label="LOC", start=eropa, end=eropa + 5)]
    result = apply_gazetteer(text, "id", model, CONFIG_DIR)
    assert [(m.text, m.label) for m in result] == [
        ("ISIS", "ORG"), ("Organisasi untuk Keamanan dan Kerja Sama di Eropa", "ORG")]
    assert all(text[m.start : m.end] == m.text for m in result)


def test_gazetteer_short_names_match_case_exactly() -> None:
    text = "Ia datang sebagai tamu, bukan AS."
    assert [m.text for m in apply_gazetteer(text, "id", [], CONFIG_DIR)] == ["AS"]
