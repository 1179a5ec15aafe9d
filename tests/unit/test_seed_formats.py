"""Seed formats beyond plain text: Markdown, HTML, JSON, WARC, feeds and archives, record errors."""

from __future__ import annotations

import gzip
import io
import json
import time
import tracemalloc
import zipfile
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders  # type: ignore[import-untyped]
from warcio.warcwriter import WARCWriter  # type: ignore[import-untyped]

from worker.errors import (
    EmptyInputError,
    NotTextError,
    QuarantineError,
    TooLargeError,
    UnsupportedFormatError,
)
from worker.record import DateCandidate, Origin
from worker.sources.page_extract import extract_page, parse_timestamp
from worker.sources.seed_common import (
    RecordError,
    SeedLimits,
    looks_like_title,
    resolve_dates,
)
from worker.sources.seed_files import SeedParse, parse_seed_bytes, parse_seed_file

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "seeds"
MIB = 1024 * 1024


def parse(
    raw: bytes, name: str, *, max_bytes: int = 10 * MIB, limits: SeedLimits | None = None
) -> SeedParse:
    origin = Origin(kind="seed", location=f"/seeds/{name}", job_id="job-1")
    if limits is None:
        return parse_seed_file(raw, origin, max_bytes=max_bytes, max_text_chars=10**6)
    return parse_seed_file(raw, origin, max_bytes=max_bytes, max_text_chars=10**6, limits=limits)


def fixture(name: str) -> SeedParse:
    return parse((FIXTURES / name).read_bytes(), name)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# --- plain text -----------------------------------------------------------------------------


def test_plain_paragraphs_have_no_title_and_lose_the_promo_line() -> None:
    parsed = fixture("plain-paragraphs.txt")
    [a] = parsed.articles
    assert parsed.errors == []
    assert a.title == ""
    paragraphs = a.body.split("\n\n")
    assert len(paragraphs) == 3
    assert paragraphs[0].startswith("Heavy rain forced the closure")
    assert paragraphs[2].endswith("from the parish hall.")
    assert "Read more" not in a.body
    assert a.attributed_publication == "Reuters"


@pytest.mark.parametrize(
    ("line", "next_line", "expected"),
    [
        ("Dock workers in Rotterdam end strike after wage deal", "", True),
        ("U.S. troops leave northern Iraq", "", True),
        ("東京で桜が開花、平年より5日早く", "", True),
        ("x" * 151, "", False),
        ("The river rose overnight. Crews worked until dawn.", "", False),
        ("気象庁は21日、東京都心で桜が開花したと発表した。平年より5日早い。", "", False),
        ("Heavy rain forced the closure of three major roads in the", "north of the county", False),
    ],
)
def test_title_heuristic(line: str, next_line: str, expected: bool) -> None:
    assert looks_like_title(line, next_line) is expected


def test_wrapped_first_paragraph_is_body() -> None:
    raw = b"Heavy rain closed three roads in the north\nof the county on Monday.\n\nMore rain."
    [a] = parse(raw, "wrapped.txt").articles
    assert a.title == ""
    assert (
        a.body == "Heavy rain closed three roads in the north of the county on Monday.\n\n"
        "More rain."
    )


# --- Markdown -------------------------------------------------------------------------------


def test_markdown_front_matter_and_plain_text_body() -> None:
    [a] = fixture("article.md").articles
    assert a.title == "Banjir rob rendam pesisir utara Jakarta"
    assert a.url == "https://berita.example.id/nasional/2024/11/banjir-rob-jakarta"
    assert a.published_at == utc(2024, 11, 17, 23, 15)
    assert a.date_candidates == [DateCandidate(source="file", value=utc(2024, 11, 17, 23, 15))]
    assert a.authors == ["Siti Rahmawati", "Budi Santoso"]
    assert a.language == "id"
    paragraphs = a.body.split("\n\n")
    # The H1 repeating the title is not body; the first paragraph is, emphasis gone.
    assert paragraphs[0].startswith("Banjir rob kembali merendam sejumlah permukiman di")
    # Link text kept, URL and link title gone; image dropped entirely.
    assert "Menurut Badan Penanggulangan Bencana Daerah (BPBD), wilayah" in a.body
    assert "Warga mengungsi" not in a.body
    for syntax in ("**", "](", "![", "`", "# ", "---", "- Muara"):
        assert syntax not in a.body
    assert "Muara Angke\nPluit\nKamal Muara" in paragraphs
    assert "Warga diminta waspada" in paragraphs
    assert paragraphs[-1].endswith(
        "pasang maksimum hingga akhir pekan, terutama di kawasan "
        "yang berada di bawah permukaan laut."
    )
    assert "Baca selengkapnya" not in a.body
    assert a.attributed_publication == "Kompas.com"


def test_markdown_without_front_matter_takes_the_first_h1() -> None:
    raw = (
        b"Intro line before the heading, with a [link][ref] and *emphasis*.\n\n"
        b"Big Harbour Reopens\n===================\n\n"
        b"1. First step\n2. Second step\n\n"
        b"```\ncode line\n```\n\n"
        b"Lire la suite sur Le Monde\n\n[ref]: https://example.com\n"
    )
    [a] = parse(raw, "note.markdown").articles
    assert a.title == "Big Harbour Reopens"
    assert a.body == (
        "Intro line before the heading, with a link and emphasis.\n\n"
        "1. First step\n2. Second step\n\ncode line"
    )
    assert a.attributed_publication == "Le Monde"
    assert a.url is None


def test_markdown_leading_rule_is_not_front_matter_and_relative_url_is_ignored() -> None:
    raw = b"---\n\nProse after a rule. It has two sentences.\n\n---\n\nSecond."
    [a] = parse(raw, "rule.md").articles
    assert (a.title, a.body) == ("", "Prose after a rule. It has two sentences.\n\nSecond.")
    [b] = parse(b"---\ntitle: T\nurl: /posts/t/\n---\nBody text.", "hugo.md").articles
    assert (b.title, b.url, b.body) == ("T", None, "Body text.")


def test_markdown_with_broken_front_matter_is_refused() -> None:
    with pytest.raises(QuarantineError, match="front matter") as info:
        parse(b"---\ntitle: [unclosed\n---\nBody.", "bad.md")
    assert info.value.reason_code == "invalid_front_matter"


# --- HTML -----------------------------------------------------------------------------------


def test_html_page_main_text_metadata_and_no_boilerplate() -> None:
    [a] = fixture("article.html").articles
    assert a.title == "La Loire atteint un niveau historiquement bas"
    assert a.url == (
        "https://www.courrier-ouest.example/environnement/2024/08/"
        "loire-niveau-bas.html?utm_source=rss"
    )
    # The canonical URL decides the id, so a re-ingest of the same page is idempotent.
    assert a.id.startswith("u")
    assert a.published_at == utc(2024, 8, 14, 5, 30)
    assert a.date_candidates == [DateCandidate(source="page_meta", value=utc(2024, 8, 14, 5, 30))]
    assert a.authors == ["Claire Martin"]
    assert a.language == "fr"
    assert a.body_source == "page"
    assert a.body.startswith("Le débit de la Loire à Saumur est tombé mardi")
    assert a.body.split("\n\n")[-1].startswith("La centrale nucléaire de Chinon")
    assert len(a.body.split("\n\n")) == 4
    for boilerplate in (
        "Accueil",
        "Abonnez-vous",
        "cookies",
        "À lire aussi",
        "Sécheresse",
        "Canicule",
        "Tous droits réservés",
        "Plan du site",
        "Mentions légales",
    ):
        assert boilerplate not in a.body
    # The syndication line names the publication and leaves the body.
    assert "initialement" not in a.body
    assert a.attributed_publication == "Le Monde"


def test_extract_page_resolves_relative_canonical_and_reads_other_date_sources() -> None:
    paragraph = "<p>" + "Der Stadtrat beschloss am Dienstag einen neuen Haushalt. " * 6 + "</p>"
    second = "<p>" + "Die Opposition kritisierte die hohen Ausgaben. " * 4 + "</p>"
    html = (
        '<html><head><meta http-equiv="content-language" content="de-AT">'
        '<link rel="Canonical" href="../politik/haushalt.html">'
        '<script type="application/ld+json">{"@graph": [{"@type": "NewsArticle",'
        ' "datePublished": "2023-12-05 09:30"}]}</script>'
        "<title>Neuer Haushalt beschlossen</title></head>"
        f"<body><article><h1>Neuer Haushalt beschlossen</h1>{paragraph}{second}</article>"
        "</body></html>"
    )
    page = extract_page(html, url="https://zeitung.example.at/wien/artikel.html")
    assert page.canonical_url == "https://zeitung.example.at/politik/haushalt.html"
    assert page.language == "de"
    assert page.published_raw == "2023-12-05 09:30"
    assert page.published == utc(2023, 12, 5, 9, 30)  # naive time read as UTC
    assert page.title == "Neuer Haushalt beschlossen"
    assert page.text.startswith("Der Stadtrat beschloss")  # repeated title is not text
    assert page.text.split("\n\n")[1].startswith("Die Opposition kritisierte")


def test_extract_page_og_url_fallback_and_empty_page() -> None:
    html = (
        '<html lang="es"><head><meta property="og:url" content="https://diario.example/n/1">'
        "</head><body><p>"
        + "Las lluvias causaron inundaciones en el sur del país. " * 8
        + "</p></body></html>"
    ).encode()
    page = extract_page(html)
    assert page.canonical_url == "https://diario.example/n/1"
    assert page.language == "es"
    assert page.published is None
    with pytest.raises(EmptyInputError, match="no article text found in the HTML page"):
        extract_page(b"<html><body><nav><a href='/'>Home</a></nav></body></html>")
    with pytest.raises(EmptyInputError):
        extract_page(b"")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-08-14T07:30:00+02:00", utc(2024, 8, 14, 5, 30)),
        ("2024-08-14T07:30:00.000+0200", utc(2024, 8, 14, 5, 30)),
        ("Mon, 09 Sep 2024 08:00:00 +0300", utc(2024, 9, 9, 5, 0)),
        ("2024-08-14", utc(2024, 8, 14)),
        ("yesterday", None),
        ("0001-01-01T00:00:00Z", None),
    ],
)
def test_parse_timestamp(raw: str, expected: datetime | None) -> None:
    assert parse_timestamp(raw) == expected


# --- JSON and JSON Lines --------------------------------------------------------------------


def test_json_array_keeps_good_records_and_reports_the_bad_one() -> None:
    parsed = fixture("articles.json")
    es, ja = parsed.articles
    assert es.title == "El Gobierno aprueba el plan de sequía para Cataluña"
    assert es.url == "https://noticias.example.es/2024/03/05/plan-sequia-cataluna"
    assert es.published_at == utc(2024, 3, 5, 9, 0)
    assert es.authors == ["Laura Gómez", "Javier Ruiz"]
    assert es.guid == "es-2024-0305-sequia"
    assert es.language == "es"
    assert es.body.endswith("comenzarán en primavera.")
    assert es.attributed_publication == "El País"
    # "text" is an alias of body; a body without blank lines has one paragraph per line.
    assert ja.body == (
        "気象庁は21日、東京都心で桜が開花したと発表した。平年より5日早く、昨年より1日遅い。"
        "\n\n靖国神社の標本木で5輪以上の花が咲いているのを職員が確認した。"
    )
    assert ja.published_at == utc(2024, 3, 21, 6, 0)
    assert ja.authors == ["山田太郎"]
    assert ja.url is None and ja.id.startswith("t")
    [error] = parsed.errors
    assert error.location == "/seeds/articles.json[2]"
    assert error.reason_code == "invalid_record"
    assert "authors" in error.reason
    assert error.raw is not None and json.loads(error.raw)["title"] == "Autor inválido"


def test_jsonl_broken_line_and_bodiless_line_are_record_errors() -> None:
    parsed = fixture("articles.jsonl")
    assert [a.title for a in parsed.articles] == [
        "В Москве открылась новая станция метро",
        "افتتاح معرض الكتاب في القاهرة",
        "Ferry service resumes",
    ]
    ru, ar, en = parsed.articles
    assert ru.published_at == utc(2024, 9, 9, 5, 0)
    assert ru.body.startswith("В понедельник")  # "content" is an alias of body
    assert ar.published_at == utc(2025, 1, 23)
    assert ar.authors == ["أحمد علي"]
    assert en.guid == "1042"
    broken, bodiless = parsed.errors
    assert (broken.location, broken.reason_code) == ("/seeds/articles.jsonl:2", "invalid_json")
    assert broken.raw == b'{"title": "broken", "body": "this line is not JSON"'
    assert (bodiless.location, bodiless.reason_code) == ("/seeds/articles.jsonl:5", "empty")
    assert "no body text" in bodiless.reason
    # Every record went somewhere: all origins are the file itself.
    assert {a.origin.location for a in parsed.articles} == {"/seeds/articles.jsonl"}


def test_json_field_rules() -> None:
    records = [
        {
            "title": "HTML body",
            "content": "<p>First <b>para</b>.</p><p>Second para.</p>",
            "summary": "<p>Short.</p>",
            "published": "sometime",
        },
        {"body": "No title here.", "url": "ftp://example.com/x"},
        {"body": ["One.", "Two."], "author": "Ana; Luis"},
        "not an object",
    ]
    parsed = parse(json.dumps(records).encode(), "mixed.json")
    html_body, listed = parsed.articles
    assert html_body.body == "First para.\n\nSecond para."
    assert html_body.summary == "Short."
    assert html_body.published_at is None and html_body.date_flags == ["unparsed_date"]
    assert listed.body == "One.\n\nTwo." and listed.authors == ["Ana", "Luis"]
    assert [(e.location, e.reason_code) for e in parsed.errors] == [
        ("/seeds/mixed.json[1]", "invalid_url"),
        ("/seeds/mixed.json[3]", "invalid_record"),
    ]


def test_broken_json_document_is_a_file_error() -> None:
    with pytest.raises(QuarantineError, match="not valid JSON") as info:
        parse(b'[{"title": "a", ', "broken.json")
    assert info.value.reason_code == "invalid_json"
    with pytest.raises(EmptyInputError, match="no articles"):
        parse(b"[]", "empty.json")


def test_parse_seed_bytes_keeps_good_records_and_raises_only_when_none_is_good() -> None:
    origin = Origin(kind="seed", location="/seeds/articles.jsonl")
    raw = (FIXTURES / "articles.jsonl").read_bytes()
    articles = parse_seed_bytes(raw, origin, max_bytes=MIB, max_text_chars=10**6)
    assert len(articles) == 3
    bad = b'{"title": "no body"}\n{"broken\n'
    with pytest.raises(EmptyInputError, match="no body text"):
        parse_seed_bytes(bad, origin, max_bytes=MIB, max_text_chars=10**6)
    undecodable = b'{"body": "caf\xe9"}\n'
    with pytest.raises(NotTextError):
        parse_seed_bytes(undecodable, origin, max_bytes=MIB, max_text_chars=10**6)


def test_record_error_maps_back_to_its_exception_class() -> None:
    assert isinstance(RecordError("x", "r", "too_large").to_exception(), TooLargeError)
    other = RecordError("x", "bad json", "invalid_json").to_exception()
    assert type(other) is QuarantineError and other.reason_code == "invalid_json"


def test_record_raw_bytes_and_record_count_are_bounded() -> None:
    long_line = b'{"body": ' + b"x" * (2 * MIB)
    [error] = parse(long_line + b"\n", "long.jsonl", max_bytes=4 * MIB).errors
    assert error.raw == long_line[:MIB]
    lines = b"\n".join(b'{"body": "Body %d."}' % i for i in range(5))
    parsed = parse(lines, "many.jsonl", limits=SeedLimits(max_records=2))
    assert len(parsed.articles) == 2
    [limit] = parsed.errors
    assert (limit.reason_code, limit.location) == ("too_large", "/seeds/many.jsonl")
    assert "more than 2 records" in limit.reason


def test_body_above_text_limit_is_a_record_error() -> None:
    origin = Origin(kind="seed", location="/seeds/big.jsonl")
    raw = b'{"body": "' + b"y" * 2000 + b'"}\n{"body": "small"}\n'
    parsed = parse_seed_file(raw, origin, max_bytes=MIB, max_text_chars=1000)
    assert [a.body for a in parsed.articles] == ["small"]
    assert [(e.location, e.reason_code) for e in parsed.errors] == [
        ("/seeds/big.jsonl:1", "too_large")
    ]


# --- dates ----------------------------------------------------------------------------------


def test_resolve_dates_follows_the_shared_rule() -> None:
    now = utc(2024, 6, 1)
    crawl = DateCandidate(source="warc_date", value=utc(2024, 5, 20, 12))
    page = DateCandidate(source="page_meta", value=utc(2024, 5, 20))
    assert resolve_dates([crawl, page], now) == (utc(2024, 5, 20), [])
    assert resolve_dates([crawl], now) == (utc(2024, 5, 20, 12), [])
    stated = DateCandidate(source="file", value=utc(2024, 3, 1))
    assert resolve_dates([stated, page], now) == (utc(2024, 5, 20), ["conflicting"])
    soon = DateCandidate(source="file", value=now + timedelta(hours=12))
    assert resolve_dates([soon], now) == (soon.value, [])
    later = DateCandidate(source="file", value=now + timedelta(days=3))
    assert resolve_dates([later], now) == (None, ["future"])


# --- WARC -----------------------------------------------------------------------------------


def _page(title: str, paragraph: str, head: str = "") -> bytes:
    body = "".join(f"<p>{paragraph} ({n})</p>" for n in range(4))
    return (
        f"<html><head><meta charset='utf-8'><title>{title}</title>{head}</head><body>"
        "<nav><a href='/'>Home</a> <a href='/world'>World</a></nav>"
        f"<article><h1>{title}</h1>{body}</article>"
        "<footer>Copyright 2024 Example Media</footer></body></html>"
    ).encode()


def make_warc() -> bytes:
    """request, EN page, PNG, JA page, empty HTML page: 2 articles, 2 skipped, 1 error."""
    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=True)

    def response(uri: str, ctype: str, payload: bytes, date: str) -> None:
        headers = StatusAndHeaders("200 OK", [("Content-Type", ctype)], protocol="HTTP/1.1")
        writer.write_record(
            writer.create_warc_record(
                uri,
                "response",
                payload=io.BytesIO(payload),
                http_headers=headers,
                warc_headers_dict={"WARC-Date": date},
            )
        )

    request = StatusAndHeaders(
        "GET /en/story HTTP/1.1", [("Host", "news.example.com")], is_http_request=True
    )
    writer.write_record(
        writer.create_warc_record(
            "https://news.example.com/en/story",
            "request",
            payload=io.BytesIO(b""),
            http_headers=request,
        )
    )
    en = _page(
        "Harbour cranes stand idle as strike spreads",
        "Crane operators at the container terminal walked out on Monday, and the union "
        "said the strike would spread to two more ports by the end of the week",
        '<meta property="article:published_time" content="2024-05-01T06:00:00Z">',
    )
    response(
        "https://news.example.com/en/story", "text/html; charset=utf-8", en, "2024-05-01T12:00:00Z"
    )
    response(
        "https://news.example.com/logo.png",
        "image/png",
        b"\x89PNG\r\n\x1a\n",
        "2024-05-01T12:00:01Z",
    )
    ja = _page(
        "大阪で新しい美術館が開館",
        "大阪市北区に新しい美術館が開館し、初日には多くの来場者が訪れた。"
        "館長は地域の文化の拠点にしたいと話した",
    )
    response(
        "https://news.example.jp/culture/museum",
        "text/html; charset=utf-8",
        ja,
        "2024-05-02T08:00:00Z",
    )
    response(
        "https://news.example.com/empty",
        "text/html",
        b"<html><body></body></html>",
        "2024-05-02T09:00:00Z",
    )
    return buf.getvalue()


def test_warc_html_responses_become_articles_and_bad_records_are_errors() -> None:
    parsed = parse(make_warc(), "crawl.warc.gz")
    en, ja = parsed.articles
    assert en.url == "https://news.example.com/en/story"
    assert en.title == "Harbour cranes stand idle as strike spreads"
    assert en.body.startswith("Crane operators at the container terminal walked out on Monday")
    assert "Home" not in en.body and "Copyright" not in en.body
    assert en.published_at == utc(2024, 5, 1, 6, 0)
    assert en.date_candidates == [
        DateCandidate(source="page_meta", value=utc(2024, 5, 1, 6, 0)),
        DateCandidate(source="warc_date", value=utc(2024, 5, 1, 12, 0)),
    ]
    assert ja.url == "https://news.example.jp/culture/museum"
    assert ja.body.startswith("大阪市北区に新しい美術館が開館し")
    # Without a date of its own, the page was published by the time it was crawled.
    assert ja.published_at == utc(2024, 5, 2, 8)
    assert ja.date_candidates == [DateCandidate(source="warc_date", value=utc(2024, 5, 2, 8))]
    assert parsed.skipped == {"warc_request": 1, "warc_non_html": 1}
    [error] = parsed.errors
    assert error.location == "/seeds/crawl.warc.gz#record-5"
    assert error.reason_code == "empty"
    assert error.raw == b"<html><body></body></html>"
    assert {a.origin.location for a in parsed.articles} == {"/seeds/crawl.warc.gz"}


def test_uncompressed_warc_and_garbage_warc() -> None:
    plain = gzip.decompress(make_warc())
    assert len(parse(plain, "crawl.warc").articles) == 2
    with pytest.raises(QuarantineError, match="not a readable WARC") as info:
        parse(b"this is not a warc file at all\r\n\r\n", "junk.warc")
    assert info.value.reason_code == "invalid_warc"


# --- archives -------------------------------------------------------------------------------


def make_zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            if name.endswith("/"):
                zf.writestr(zipfile.ZipInfo(name), b"")
            else:
                zf.writestr(name, data)
    return buf.getvalue()


def test_gzip_is_read_by_its_inner_name() -> None:
    raw = gzip.compress((FIXTURES / "articles.jsonl").read_bytes())
    parsed = parse(raw, "articles.jsonl.gz")
    assert len(parsed.articles) == 3
    assert [e.location for e in parsed.errors] == [
        "/seeds/articles.jsonl.gz:2",
        "/seeds/articles.jsonl.gz:5",
    ]
    [md] = parse(gzip.compress((FIXTURES / "article.md").read_bytes()), "a.md.gz").articles
    assert md.origin.location == "/seeds/a.md.gz"
    # Concatenated gzip members are one stream.
    two = gzip.compress(b"Title\n\nFirst half, ") + gzip.compress(b"second half.")
    [txt] = parse(two, "split.txt.gz").articles
    assert txt.body == "First half, second half."


def test_zip_members_dispatched_by_suffix_with_member_locations() -> None:
    inner = gzip.compress(b'{"title": "Nested", "body": "Inside a gzip inside a zip."}\n')
    raw = make_zip(
        {
            "docs/": b"",
            "docs/article.md": (FIXTURES / "article.md").read_bytes(),
            "docs/plain-paragraphs.txt": (FIXTURES / "plain-paragraphs.txt").read_bytes(),
            "docs/nested.jsonl.gz": inner,
            "docs/report.pdf": b"%PDF-1.4",
            "docs/empty.txt": b"  \n",
            ".DS_Store": b"\x00\x00",
            "__MACOSX/docs/._article.md": b"\x00",
        }
    )
    parsed = parse(raw, "bundle.zip")
    by_location = {a.origin.location: a for a in parsed.articles}
    assert set(by_location) == {
        "/seeds/bundle.zip!docs/article.md",
        "/seeds/bundle.zip!docs/plain-paragraphs.txt",
        "/seeds/bundle.zip!docs/nested.jsonl.gz",
    }
    assert by_location["/seeds/bundle.zip!docs/article.md"].attributed_publication == "Kompas.com"
    assert by_location["/seeds/bundle.zip!docs/nested.jsonl.gz"].title == "Nested"
    assert [(e.location, e.reason_code) for e in parsed.errors] == [
        ("/seeds/bundle.zip!docs/report.pdf", "unsupported_format"),
        ("/seeds/bundle.zip!docs/empty.txt", "empty"),
    ]
    assert "'.pdf'" in parsed.errors[0].reason
    assert parsed.errors[0].raw == b"%PDF-1.4"
    assert parsed.skipped == {"zip_directory": 1, "zip_hidden": 2}


def test_archive_nesting_is_limited_to_one_level() -> None:
    deeper = make_zip({"c.txt": b"Too deep\n\nNever read."})
    inner = make_zip({"deeper.zip": deeper, "b.txt": b"One level\n\nRead fine."})
    parsed = parse(make_zip({"inner.zip": inner}), "outer.zip")
    [article] = parsed.articles
    assert article.origin.location == "/seeds/outer.zip!inner.zip!b.txt"
    [error] = parsed.errors
    assert error.location == "/seeds/outer.zip!inner.zip!deeper.zip"
    assert error.reason_code == "unsupported_format" and "nested" in error.reason
    with pytest.raises(UnsupportedFormatError, match="nested"):
        parse(gzip.compress(gzip.compress(gzip.compress(b"T\n\nBody."))), "a.txt.gz.gz.gz")
    [ok] = parse(gzip.compress(gzip.compress(b"T\n\nBody.")), "a.txt.gz.gz").articles
    assert ok.body == "Body."


def _zeros_gzip(mib: int) -> bytes:
    deflater = zlib.compressobj(1, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    zeros = bytes(MIB)
    return b"".join([deflater.compress(zeros) for _ in range(mib)] + [deflater.flush()])


def _bounded(raw: bytes, name: str) -> float:
    """Parse a bomb with a 1 MiB limit: TooLargeError, and seconds taken; memory checked."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(TooLargeError):
            parse(raw, name, max_bytes=MIB)
        elapsed = time.perf_counter() - started
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 50 * MIB
    return elapsed


def test_gzip_bomb_is_refused_fast_with_bounded_memory() -> None:
    bomb = _zeros_gzip(200)
    assert len(bomb) < MIB
    assert _bounded(bomb, "bomb.jsonl.gz") < 2.0
    assert _bounded(bomb, "bomb.warc.gz") < 2.0


def test_zip_bombs_are_refused_fast_with_bounded_memory() -> None:
    buf = io.BytesIO()
    with (
        zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf,
        zf.open("zeros.txt", "w", force_zip64=True) as member,
    ):
        for _ in range(200):
            member.write(bytes(MIB))
    assert len(buf.getvalue()) < MIB
    assert _bounded(buf.getvalue(), "bomb.zip") < 2.0
    # Small members that only together exceed the limit, and a gzip bomb inside a zip.
    many = make_zip({f"part{n}.txt": b"T\n\n" + b"z" * (400 * 1024) for n in range(3)})
    assert _bounded(many, "many.zip") < 2.0
    nested = make_zip({"inner.txt.gz": _zeros_gzip(20)})
    assert _bounded(nested, "nested.zip") < 2.0


def test_zip_member_count_and_corrupt_archives() -> None:
    raw = make_zip({f"{n}.txt": b"T\n\nBody %d." % n for n in range(5)})
    with pytest.raises(TooLargeError, match="5 entries"):
        parse(raw, "a.zip", limits=SeedLimits(max_archive_members=4))
    assert len(parse(raw, "a.zip", limits=SeedLimits(max_archive_members=5)).articles) == 5
    for name, junk in (
        ("x.zip", b"PK\x03\x04 not really"),
        ("x.txt.gz", b"\x1f\x8bgarbage"),
        ("y.txt.gz", gzip.compress(b"T\n\nBody.")[:-12]),
    ):
        with pytest.raises(QuarantineError) as info:
            parse(junk, name)
        assert info.value.reason_code == "corrupt_archive", name


# --- dispatch -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "suffix"),
    [("report.pdf", ".pdf"), ("sheet.docx", ".docx"), ("archive.tar.gz", ".tar"), ("x.7z", ".7z")],
)
def test_unknown_suffix_is_refused_naming_it(name: str, suffix: str) -> None:
    raw = gzip.compress(b"data") if name.endswith(".gz") else b"data"
    with pytest.raises(UnsupportedFormatError, match=f"'\\{suffix}'"):
        parse(raw, name)


@pytest.mark.parametrize(
    ("fixture_name", "alias"),
    [("article.html", "page.HTM"), ("articles.jsonl", "dump.ndjson"),
     ("article.md", "note.markdown"), ("plain-paragraphs.txt", "README"),
     ("feed.xml", "feed.rss")],
)
def test_suffix_aliases_read_the_same(fixture_name: str, alias: str) -> None:
    raw = (FIXTURES / fixture_name).read_bytes()
    expected = [(a.title, a.body) for a in parse(raw, fixture_name).articles]
    assert [(a.title, a.body) for a in parse(raw, alias).articles] == expected


def test_truncated_warc_gz_keeps_its_complete_records() -> None:
    raw = make_warc()
    parsed = parse(raw[:-40], "cut.warc.gz")
    # The last gzip member (the empty page) is cut off; the two articles before it survive.
    assert [a.url for a in parsed.articles] == [
        "https://news.example.com/en/story",
        "https://news.example.jp/culture/museum",
    ]
    [error] = parsed.errors
    assert error.location == "/seeds/cut.warc.gz"
    assert error.reason_code == "corrupt_archive" and "lost" in error.reason
    limited = parse(raw, "crawl.warc.gz", limits=SeedLimits(max_records=1))
    assert len(limited.articles) == 1
    assert [e.reason_code for e in limited.errors] == ["too_large"]
    # A gzipped WARC without the .gz suffix is inflated the same bounded way.
    assert len(parse(raw, "crawl.warc").articles) == 2
    with pytest.raises(TooLargeError):
        parse(raw, "crawl.warc", max_bytes=len(raw) + 100)


# --- feeds ----------------------------------------------------------------------------------


def test_rss_feed_file_entries_become_seed_articles() -> None:
    parsed = fixture("feed.xml")
    ferry, nelayan, headline = parsed.articles
    assert ferry.url == "https://gazette.example.com/2024/10/ferry-fares"
    assert ferry.title == "Ferry fares rise for the first time in six years"
    assert ferry.body == ("Ferry operators will raise fares by eight percent from November, the "
                          "first increase since 2018.\n\nCommuter groups said the rise would hit "
                          "island residents hardest.")
    assert ferry.attributed_publication == "The Guardian"
    assert ferry.published_at == utc(2024, 10, 8, 6, 45)
    assert ferry.authors == ["Tom Reyes"]
    assert nelayan.url is None and nelayan.guid == "gazette-id-2024-1009"
    assert nelayan.body.startswith("Nelayan di Muara Angke kembali melaut")
    # Origins are the seed file, not a feed URL.
    assert {(a.origin.kind, a.origin.location, a.origin.job_id) for a in parsed.articles} == {
        ("seed", "/seeds/feed.xml", "job-1")
    }
    # A title and a link without text is a headline; neither title nor text is refused.
    assert (headline.title, headline.body, headline.body_source) == (
        "Headline only, no text", "", "headline")
    assert headline.url == "https://gazette.example.com/2024/10/headline-only"
    [error] = parsed.errors
    assert (error.location, error.reason_code) == ("/seeds/feed.xml#entry-4", "empty")


def test_json_feed_and_compressed_feed() -> None:
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Le Journal",
        "items": [
            {"id": "1", "url": "https://journal.example.fr/a", "title": "Grève à la SNCF",
             "content_text": "Les cheminots sont en grève depuis lundi.\n\n"
                             "Lire la suite sur Le Figaro",
             "date_published": "2024-02-12T08:00:00+01:00"},
        ],
    }
    [a] = parse(json.dumps(feed).encode(), "journal.json").articles
    assert a.url == "https://journal.example.fr/a"
    assert a.body == "Les cheminots sont en grève depuis lundi."
    assert a.attributed_publication == "Le Figaro"
    assert a.published_at == utc(2024, 2, 12, 7, 0)
    gz = parse(gzip.compress((FIXTURES / "feed.xml").read_bytes()), "feed.xml.gz")
    assert [x.title for x in gz.articles] == [
        "Ferry fares rise for the first time in six years", "Nelayan Muara Angke kembali melaut",
        "Headline only, no text",
    ]
    assert gz.errors[0].location == "/seeds/feed.xml.gz#entry-4"


def test_xml_that_is_not_a_feed_or_is_hostile_is_refused() -> None:
    with pytest.raises(QuarantineError) as info:
        parse(b'<?xml version="1.0"?><urlset><url><loc>https://x.example/</loc></url></urlset>',
              "sitemap.xml")
    assert info.value.reason_code == "not_a_feed"
    bomb = (b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa">'
            b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
            b"<rss version='2.0'><channel><item><title>&b;</title></item></channel></rss>")
    with pytest.raises(QuarantineError) as hostile:
        parse(bomb, "bomb.rss")
    assert hostile.value.reason_code == "hostile_xml"
