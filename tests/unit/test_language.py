"""Language identification, including short text, mixed text and Indonesian vs Malay."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.shipped_config import DETECTION_LANGUAGES
from worker.enrich.language import detect_language

SAMPLE = Path(__file__).resolve().parents[2] / "seeds" / "000_fbcae026f709bea4.txt"


def test_sample_article_is_reliably_indonesian() -> None:
    guess = detect_language(SAMPLE.read_text(encoding="utf-8"), DETECTION_LANGUAGES)
    assert (guess.language, guess.reliable) == ("id", True)
    assert guess.confidence >= 0.9


@pytest.mark.parametrize(
    ("text", "language"),
    [
        # Indonesian and Malay share most words; these differ in the ones they don't.
        ("Putin dan Obama menyetujui kerja sama yang lebih erat mengenai Suriah", "id"),
        ("Presiden Joko Widodo meresmikan jalan tol baru di Jawa Tengah pada hari Senin.", "id"),
        ("Kantor polisi mengatakan uang itu sudah dikembalikan kepada pemiliknya.", "id"),
        ("Polis sedang menyiasat kejadian itu dan orang ramai diminta memberi maklumat.", "ms"),
        ("Kerajaan negeri akan membantu mangsa banjir, kata Menteri Besar dalam kenyataan.",
         "ms"),
        ("Le gouvernement a annoncé de nouvelles mesures pour les agriculteurs.", "fr"),
        ("Die Regierung kündigte neue Hilfen für Landwirte an.", "de"),
        ("El gobierno anunció nuevas medidas para los agricultores.", "es"),
        ("Правительство объявило о новых мерах поддержки фермеров.", "ru"),
        ("The government announced new measures for farmers on Monday.", "en"),
    ],
)
def test_short_texts(text: str, language: str) -> None:
    assert detect_language(text, DETECTION_LANGUAGES).language == language


def test_mixed_text_takes_the_dominant_language() -> None:
    text = (
        "Presiden mengatakan pemerintah akan terus bekerja sama dengan semua pihak untuk "
        "menjaga stabilitas harga pangan, termasuk beras dan minyak goreng, menjelang akhir "
        "tahun. \"We will keep prices stable,\" he told reporters in English."
    )
    assert detect_language(text, DETECTION_LANGUAGES).language == "id"


def test_very_short_or_empty_text_is_not_reliable() -> None:
    assert detect_language("OK", DETECTION_LANGUAGES).reliable is False
    empty = detect_language("12345 !!!", DETECTION_LANGUAGES)
    assert (empty.language, empty.reliable) == (None, False)


def test_an_unsure_opening_is_read_past() -> None:
    """The first look reads 1,500 characters; a table of figures there must not decide."""
    figures = ("2024-05-01 12:30 | 45,6 % | 7.890 | " * 60)[:1500]
    story = ("The government announced on Monday that the new railway between the two cities "
             "will open next year, after a decade of delays and disputes over funding. ") * 12
    guess = detect_language(figures + story, DETECTION_LANGUAGES)
    assert (guess.language, guess.reliable) == ("en", True)


def test_long_indonesian_and_malay_articles_are_told_apart() -> None:
    """A long text only needs Indonesian weighed against Malay (the cheap cross-check)."""
    malay = ("Polis sedang menyiasat kejadian itu dan orang ramai diminta memberi maklumat. "
             "Kerajaan negeri akan membantu mangsa banjir, kata Menteri Besar dalam kenyataan. "
             ) * 15
    indonesian = ("Kantor polisi mengatakan uang itu sudah dikembalikan kepada pemiliknya. "
                  "Presiden Joko Widodo meresmikan jalan tol baru di Jawa Tengah pada hari "
                  "Senin. ") * 15
    assert detect_language(malay, DETECTION_LANGUAGES).language == "ms"
    assert detect_language(indonesian, DETECTION_LANGUAGES).language == "id"
