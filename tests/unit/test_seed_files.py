"""Seed parsing: the sample's layout, paragraphs, promo lines, encodings, bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from worker.errors import EmptyInputError, NotTextError, TooLargeError, UnsupportedFormatError
from worker.record import Origin
from worker.sources.seed_files import parse_seed_bytes

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "seeds" / "000_fbcae026f709bea4.txt"


def parse(raw: bytes, name: str = "a.txt", max_bytes: int = 10**7):  # type: ignore[no-untyped-def]
    origin = Origin(kind="seed", location=f"/seeds/{name}")
    return parse_seed_bytes(raw, origin, max_bytes=max_bytes, max_text_chars=10**6)


def test_sample_title_body_and_promo() -> None:
    [article] = parse(SAMPLE.read_bytes(), SAMPLE.name)
    assert article.title == "Putin dan Obama menyetujui kerja sama yang lebih erat mengenai Suriah"
    # The repeated title is not body text; the body starts with the first real paragraph.
    assert article.body.startswith("Presiden Rusia Vladimir Putin dan Presiden AS Barack Obama")
    assert article.title not in article.body
    # The trailing promo line is gone from the body and kept as the attributed publication.
    assert "Klik untuk" not in article.body
    assert article.body.endswith("Amerika Serikat.”")
    assert article.attributed_publication == "The Wall Street Journal"
    assert len(article.body.split("\n\n")) == 8


def test_paragraph_line_breaks_folded_and_title_kept_when_not_repeated() -> None:
    [a] = parse(b"Title here\n\nFirst line\nsame paragraph.\n\n\nSecond paragraph.\n")
    assert a.title == "Title here"
    assert a.body == "First line same paragraph.\n\nSecond paragraph."
    assert a.attributed_publication is None


def test_repeated_title_matched_ignoring_case_and_spacing() -> None:
    [a] = parse(b"Big  News Today\n\nbig news today\n\nThe body.")
    assert a.body == "The body."


@pytest.mark.parametrize(
    ("promo", "publication"),
    [
        ("Click to read more from The Guardian.", "The Guardian"),
        ("Read more at Reuters", "Reuters"),
        ("Baca selengkapnya di Kompas.com", "Kompas.com"),
        ("Lire la suite sur Le Monde", "Le Monde"),
    ],
)
def test_promo_lines_in_several_languages(promo: str, publication: str) -> None:
    [a] = parse(f"T\n\nBody paragraph.\n\n{promo}\n".encode())
    assert a.body == "Body paragraph."
    assert a.attributed_publication == publication


def test_ordinary_last_paragraph_is_kept() -> None:
    [a] = parse(b"T\n\nBody.\n\nShe said more talks would follow from Monday.")
    assert a.body.endswith("from Monday.")


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "cp1252", "latin-1"])
def test_encodings_detected_not_mangled(encoding: str) -> None:
    text = "Café crème à Zürich\n\nLes élèves ont goûté des crêpes à la crème fraîche à Zürich."
    [a] = parse(text.encode(encoding))
    assert a.title == "Café crème à Zürich"
    assert "crêpes à la crème fraîche" in a.body


def test_utf8_indonesian_and_cyrillic_roundtrip() -> None:
    text = "Заголовок\n\nПутин и Обама обсудили Сирию. Gencatan senjata “segera” berlaku."
    [a] = parse(text.encode("utf-8"))
    assert a.body == "Путин и Обама обсудили Сирию. Gencatan senjata “segera” berlaku."


def test_binary_file_is_refused_with_a_reason() -> None:
    with pytest.raises(NotTextError, match="not a text file"):
        parse(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))


def test_empty_and_whitespace_files_are_refused() -> None:
    for raw in (b"", b"\n\n  \n"):
        with pytest.raises(EmptyInputError):
            parse(raw)


def test_oversized_and_unknown_formats_are_refused() -> None:
    with pytest.raises(TooLargeError):
        parse(b"x" * 100, max_bytes=10)
    with pytest.raises(UnsupportedFormatError, match=r"\.pdf"):
        parse(b"%PDF-1.4", "report.pdf")


def test_single_paragraph_file_is_body_not_title() -> None:
    [a] = parse(b"Only one line of text in this file.")
    assert a.body == "Only one line of text in this file."
    assert a.title == ""
