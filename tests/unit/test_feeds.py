"""Feed parsing: every format, broken encodings, hostile XML, bounds, and entries to articles."""

from __future__ import annotations

import io
import socket
import time
import tracemalloc
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import defusedxml  # type: ignore[import-untyped]
import defusedxml.ElementTree as DefusedET  # type: ignore[import-untyped]
import feedparser  # type: ignore[import-untyped]
import pytest

from worker.errors import QuarantineError, TooLargeError
from worker.record import article_id
from worker.sources import xml_guard
from worker.sources.feed_documents import (
    FeedEntry,
    NotAFeedError,
    ParsedFeed,
    entry_to_article,
    html_to_text,
    parse_feed,
    xml_feeds,
)
from worker.sources.feed_documents.json_feeds import parse_json_feed
from worker.sources.xml_guard import HostileXmlError, check_xml

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "feeds"
MiB = 1024 * 1024
FETCHED = datetime(2025, 1, 9, 12, 0, tzinfo=UTC)


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def parse(name: str, **kwargs: Any) -> ParsedFeed:
    return parse_feed(fixture(name), **kwargs)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def measured(call: Callable[[], object]) -> tuple[float, float]:
    """(seconds, peak MiB of Python allocations) of one call, errors included."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        call()
    except QuarantineError:
        pass
    finally:
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1] / MiB
        tracemalloc.stop()
    return seconds, peak


def rss(items: str, *, extra_ns: str = "", channel: str = "") -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"{extra_ns}>'
        f"<channel><title>Test Feed</title><link>https://feed.example/</link>"
        f"<description>t</description>{channel}{items}</channel></rss>"
    ).encode()


def many_items(n: int) -> bytes:
    return rss("".join(
        f"<item><title>Berita {i}</title><link>https://berita.example.id/{i}</link>"
        f"<guid>https://berita.example.id/{i}</guid>"
        f"<pubDate>Wed, 08 Jan 2025 10:{i % 60:02d}:00 +0700</pubDate>"
        f"<description><![CDATA[<p>Ringkasan berita nomor {i}.</p>]]></description></item>\n"
        for i in range(n)))


# --- formats ---------------------------------------------------------------------------


def test_rss090() -> None:
    feed = parse("rss090.xml")
    assert (feed.format, feed.title, feed.link) == (
        "rss090", "Harbour Town Gazette", "https://gazette.example.com/")
    assert [e.title for e in feed.entries] == [
        "Ferry service resumes after winter storms",
        "Council approves new fish market",
        "Lighthouse open to visitors this weekend",
    ]
    assert feed.entries[1].url == "https://gazette.example.com/news/fish-market"
    assert all(e.published is None and e.updated is None for e in feed.entries)
    assert feed.warnings == []


@pytest.fixture
def network_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every attempt to reach the network (or a URL) is recorded and refused."""
    calls: list[str] = []

    def refuse(name: str) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            calls.append(f"{name}{args!r}")
            raise OSError(f"network access in a test: {name}")
        return call

    monkeypatch.setattr(socket, "getaddrinfo", refuse("getaddrinfo"))
    monkeypatch.setattr(socket, "create_connection", refuse("create_connection"))
    monkeypatch.setattr(socket.socket, "connect", refuse("connect"))
    monkeypatch.setattr(urllib.request, "urlopen", refuse("urlopen"))
    yield calls


def test_rss091_with_netscape_doctype_is_allowed_and_its_dtd_never_fetched(
    network_calls: list[str],
) -> None:
    body = fixture("rss091.xml")
    assert b'"http://my.netscape.com/publish/formats/rss-0.91.dtd"' in body
    check_xml(body, max_bytes=len(body))  # the Netscape DOCTYPE declares nothing
    feed = parse_feed(body)
    assert (feed.format, feed.title, feed.language) == ("rss091", "Tageblatt Nord", "de")
    assert feed.encoding == "cp1252"  # declared ISO-8859-1, read as its superset
    assert feed.entries[0].summary == (
        "Der Kieler Hafen hat im vergangenen Jahr so viele Güter umgeschlagen wie nie zuvor.")
    assert feed.entries[1].title == "Sturmflut: Deiche halten"
    # feedparser itself, handed the DOCTYPE, does not fetch it either.
    xml_feeds._feedparser_parse(body)
    assert network_calls == []


def test_rss10_rdf_with_dc_date_and_syndication_period() -> None:
    feed = parse("rss10-rdf.xml")
    assert (feed.format, feed.title, feed.language) == ("rss10", "Вести Сибири", "ru")
    assert feed.ttl_minutes == 30  # sy:updatePeriod hourly, sy:updateFrequency 2
    first, second = feed.entries
    assert first.title == "Лёд на Байкале окреп раньше срока"
    assert first.content == ("Толщина льда в южной части Байкала превысила 30 сантиметров.\n\n"
                             "Спасатели всё же просят не выезжать на лёд на автомобилях.")
    assert first.summary == "Толщина льда в южной части озера превысила 30 сантиметров."
    assert first.authors == ["Анна Петрова"]
    # dc:date is a modification date to feedparser: updated, not published.
    assert (first.published, first.updated) == (None, utc(2025, 1, 8, 2, 30))
    assert first.updated_raw == "2025-01-08T09:30:00+07:00"
    assert second.guid == second.url == (
        "https://vesti-sibiri.example.ru/news/2025/01/07/novosibirsk-metro")
    assert second.content is None


def test_rss20_content_encoded_and_dc_creator() -> None:
    feed = parse("rss20.xml")
    assert (feed.format, feed.title, feed.link, feed.language, feed.ttl_minutes) == (
        "rss20", "Kabar Nusantara", "https://kabar-nusantara.example.id/", "id", 15)
    # &hellip; and &nbsp; are not XML entities: repaired, so the strict parser read the feed.
    assert feed.warnings == []
    flood, chili, volcano = feed.entries
    assert flood.title == "Banjir rob genangi pesisir utara Jakarta"
    assert flood.content == (
        "Banjir rob kembali menggenangi kawasan pesisir utara Jakarta pada Rabu pagi.\n\n"
        "Ketinggian air di Muara Angke mencapai 40 cm, kata petugas BPBD.\n\n"
        "Warga diminta waspada.\n\nPosko pengungsian dibuka.")
    assert "trackView" not in flood.content
    assert flood.summary == (
        "Banjir rob kembali menggenangi kawasan pesisir utara Jakarta pada Rabu pagi…")
    assert flood.authors == ["Siti Rahmawati"]
    assert flood.guid == "https://kabar-nusantara.example.id/?p=10234"
    assert flood.url == ("https://kabar-nusantara.example.id/2025/01/08/banjir-rob-jakarta/"
                         "?utm_source=rss&utm_medium=rss")
    assert flood.published == utc(2025, 1, 8, 3, 15)
    assert flood.published_raw == "Wed, 08 Jan 2025 10:15:00 +0700"
    # feedparser answers `updated` with `published` when there is none; we do not.
    assert (flood.updated, flood.updated_raw) == (None, None)
    assert flood.language == "id"
    assert chili.authors == ["Budi Santoso", "Dewi Lestari"]
    assert chili.summary == ("Harga cabai rawit di Pasar Induk Kramat Jati turun menjadi "
                             "Rp45.000 per kilogram & pasokan stabil…")
    assert chili.content is None
    assert volcano.url == volcano.guid == (
        "https://kabar-nusantara.example.id/2025/01/06/lewotobi-erupsi/")
    assert volcano.authors == ["Redaksi"]


def test_atom03_issued_modified_and_escaped_content() -> None:
    feed = parse("atom03.xml")
    assert (feed.format, feed.title, feed.language) == ("atom03", "みなと新聞", "ja")
    ship, aquarium = feed.entries
    assert ship.title == "横浜港で大型客船の寄港が過去最多に"
    assert ship.published == utc(2025, 1, 8, 1, 0)
    assert ship.updated == utc(2025, 1, 8, 2, 30)
    assert ship.content == ("横浜港への大型客船の寄港回数が、昨年は過去最多となった。\n\n"
                            "市は受け入れ態勢の強化を進める。")
    assert ship.authors == ["佐藤 花子"]
    assert ship.guid == "tag:minato-shimbun.example.jp,2025:news/20250108-kyakusen"
    assert aquarium.authors == ["みなと新聞編集部"]  # Atom entries inherit the feed author
    assert aquarium.url == "https://minato-shimbun.example.jp/news/20250107-suizokukan"
    assert aquarium.language == "ja"


def test_atom10_html_title_xhtml_content_and_authors() -> None:
    feed = parse("atom10.xml")
    assert (feed.format, feed.title, feed.link, feed.language) == (
        "atom10", "Le Courrier de Lyon", "https://courrier-lyon.example.fr/", "fr")
    quays, lights = feed.entries
    assert quays.title == "Les quais du Rhône rouverts aux piétons"
    assert quays.authors == ["Camille Durand", "Louis Martin"]
    assert quays.summary == "Après trois mois de travaux, les quais sont de nouveau accessibles."
    assert quays.content == (
        "Après trois mois de travaux, les quais du Rhône sont de nouveau accessibles aux "
        "piétons.\n\nLa métropole promet « un espace plus vert ».")
    assert (quays.published, quays.updated) == (utc(2025, 1, 8, 7, 30), utc(2025, 1, 8, 8, 0))
    assert lights.content == ("Plus de deux millions de visiteurs ont assisté à l’édition "
                              "2024.\n\nLes hôteliers se réjouissent.")
    assert lights.summary is None  # feedparser's copy of the content is not a summary
    assert lights.published is None and lights.updated == utc(2025, 1, 5, 16, 45)
    assert lights.authors == ["Rédaction du Courrier"]


def test_jsonfeed10() -> None:
    feed = parse("jsonfeed10.json")
    assert (feed.format, feed.title, feed.link) == (
        "json10", "Prairie Ledger", "https://prairie-ledger.example.com/")
    wheat, rail = feed.entries
    assert wheat.content == "Wheat futures rose 4% on Tuesday.\n\nFarmers expect a smaller harvest."
    assert wheat.summary == "Futures up 4% as dry weather continues."
    assert wheat.authors == ["Dana Whitfield"]
    assert wheat.published == utc(2025, 1, 8, 20, 20)
    assert rail.guid == "4711"  # a numeric id, as 1.0 feeds have
    assert rail.content == "The grain rail line will reopen in April.\n\nRepairs cost $12 million."
    assert rail.authors == ["Prairie Ledger Staff"]  # inherited from the feed's author
    assert (rail.published, rail.updated) == (utc(2025, 1, 7, 9), utc(2025, 1, 7, 12, 30))


def test_jsonfeed11() -> None:
    feed = parse("jsonfeed11.json", content_type="application/feed+json")
    assert (feed.format, feed.title, feed.language) == ("json11", "Berliner Stadtbote", "de")
    ring, marathon, tokyo = feed.entries
    assert ring.authors == ["Jürgen Weiß", "Aylin Demir"]
    assert ring.updated == utc(2025, 1, 8, 7, 15)
    assert marathon.url == "https://www.example.org/berlin-marathon-2025"  # external_url
    assert marathon.authors == ["Stadtbote-Redaktion"]
    assert (tokyo.title, tokyo.language) == ("東京との姉妹都市交流、30周年", "ja")
    assert tokyo.published == utc(2025, 1, 6, 1, 0)


# --- encodings -------------------------------------------------------------------------

ENCODING_CASES = {
    "declared-utf8-actually-cp1252.xml": (
        "cp1252", "Le Café du Commerce",
        [("Café « crème » : les prix flambent à Noël",
          "Le prix du café a augmenté de 12 % – un record ; “c’est inédit”, dit l’élève."),
         ("Straße gesperrt: Bürger ärgern sich über Baustelle",
          "Die Sanierung kostet 3,5 Mio. € — länger als geplant.")]),
    "declared-latin1-actually-utf8.xml": (
        "utf-8", "Münchner Abendpost",
        [("Übermütige Gäste feiern auf der Wiesn",
          "Österreichische Gäste sorgten für Ärger – die Polizei griff ein."),
         ("Grüße aus Zürich: Käse und Schokolade",
          "„Gemütlich“ sei es gewesen, sagt der Bürgermeister.")]),
    "utf16le-bom.xml": (
        "utf-16-le", "東京ニュース",
        [("渋谷駅の再開発が完了", "新しい広場が来月オープンする。"),
         ("Grüße aus Köln", "Kölner Dom – ein Besuchermagnet.")]),
    "utf16be-bom.xml": (
        "utf-16-be", "東京ニュース",
        [("渋谷駅の再開発が完了", "新しい広場が来月オープンする。"),
         ("Grüße aus Köln", "Kölner Dom – ein Besuchermagnet.")]),
    "no-declaration-cp1251.xml": (
        "cp1251", "Новости Поволжья",
        [("Волга замёрзла у Самары раньше обычного",
          "Синоптики объясняют это сильными морозами, которые держатся уже вторую неделю."),
         ("В Казани открыли новую библиотеку",
          "Читатели смогут пользоваться читальным залом круглосуточно, сообщает «ТАСС».")]),
    "mixed-utf8-cp1252.xml": (
        "utf-8+cp1252", "Zürcher Kurier",
        [("Zürich: Bürger stimmen über Tram ab",
          "Die Abstimmung über die neue Tramlinie – „endlich“, sagen Anwohner."),
         ("Café in Genève: “Très bien”", "Le café coûte 4 € – c’est cher.")]),
    "utf8-bom-declared-cp1250.xml": (
        "utf-8", "Gazeta Warszawska",
        [("Żółć i gęś: zażółcona jaźń", "Łódź, Kraków, Gdańsk.")]),
}


@pytest.mark.parametrize("name", sorted(ENCODING_CASES))
def test_broken_encodings_decode_to_the_exact_text(name: str) -> None:
    encoding, title, expected = ENCODING_CASES[name]
    feed = parse(f"encoding/{name}")
    assert feed.encoding == encoding
    assert feed.title == title
    assert [(e.title, e.summary) for e in feed.entries] == expected
    assert not any("malformed" in w for w in feed.warnings)


def test_encoding_repairs_are_reported() -> None:
    assert parse("encoding/declared-latin1-actually-utf8.xml").warnings == [
        "encoding: declared iso-8859-1 but the bytes are UTF-8; read as UTF-8"]
    assert parse("encoding/no-declaration-cp1251.xml").warnings == [
        "encoding: nothing declared, but the bytes are cp1251; read as cp1251"]
    [mixed] = parse("encoding/mixed-utf8-cp1252.xml").warnings
    assert mixed.startswith("encoding: declared utf-8; UTF-8 mixed with cp1252 bytes")


def test_wrong_http_charset_loses_to_utf8_bytes() -> None:
    feed = parse("encoding/declared-latin1-actually-utf8.xml",
                 content_type="text/xml; charset=ISO-8859-1")
    assert feed.entries[0].title == "Übermütige Gäste feiern auf der Wiesn"


def test_http_charset_used_when_the_document_declares_nothing() -> None:
    body = rss("<item><title>Выборы в Думу</title><link>https://x.example.ru/1</link></item>")
    body = body.replace(b' encoding="utf-8"', b"").decode("utf-8").encode("cp1251")
    feed = parse_feed(body, content_type="application/rss+xml; charset=windows-1251")
    assert feed.entries[0].title == "Выборы в Думу"
    assert feed.encoding == "cp1251"
    assert feed.warnings == [
        "encoding: read as cp1251, from the Content-Type charset windows-1251"]


def test_utf16_without_bom_is_sniffed_from_the_byte_pattern() -> None:
    text = rss("<item><title>Çay saati</title><link>https://x.example/1</link></item>").decode()
    feed = parse_feed(text.replace('encoding="utf-8"', 'encoding="UTF-16"').encode("utf-16-le"))
    assert (feed.encoding, feed.entries[0].title) == ("utf-16-le", "Çay saati")


# --- hostile documents -----------------------------------------------------------------

HOSTILE = {
    "billion-laughs.xml": (xml_guard.BILLION_LAUGHS, "lol"),
    "billion-laughs-utf16.xml": (xml_guard.BILLION_LAUGHS, "lol"),
    "quadratic-blowup.xml": (xml_guard.QUADRATIC_BLOWUP, "40000 characters"),
    "xxe-file.xml": (xml_guard.EXTERNAL_ENTITY, "file:///etc/passwd"),
    "xxe-http.xml": (xml_guard.EXTERNAL_ENTITY, "http://169.254.169.254/"),
    "parameter-entity.xml": (xml_guard.PARAMETER_ENTITY, "%remote;"),
    "external-dtd.xml": (xml_guard.EXTERNAL_DTD, "http://attacker.example/rss.dtd"),
}


@pytest.fixture
def feedparser_calls(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """The first argument of every feedparser.parse call (the call itself still happens)."""
    calls: list[object] = []
    real = feedparser.parse

    def spy(source: object, *args: Any, **kwargs: Any) -> Any:
        calls.append(source)
        return real(source, *args, **kwargs)

    monkeypatch.setattr(feedparser, "parse", spy)
    return calls


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_documents_are_refused_before_any_parser_sees_them(
    name: str, feedparser_calls: list[object], network_calls: list[str]
) -> None:
    trick, detail = HOSTILE[name]
    body = fixture(f"hostile/{name}")
    with pytest.raises(HostileXmlError) as raised:
        parse_feed(body)
    assert raised.value.reason_code == "hostile_xml"
    assert raised.value.trick == trick
    assert trick in str(raised.value) and detail in str(raised.value)
    with pytest.raises(HostileXmlError) as direct:
        check_xml(body, max_bytes=len(body))
    assert direct.value.trick == trick
    seconds, peak = measured(lambda: parse_feed(body))
    assert seconds < 0.5 and peak < 10, (seconds, peak)
    assert feedparser_calls == [] and network_calls == []


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_defusedxml_agrees_the_hostile_fixtures_are_hostile(name: str) -> None:
    """An independent guard refuses them too: the fixtures really try the trick they name."""
    body = fixture(f"hostile/{name}")
    forbid_dtd = HOSTILE[name][0] == xml_guard.EXTERNAL_DTD
    with pytest.raises((defusedxml.DTDForbidden, defusedxml.EntitiesForbidden,
                        defusedxml.ExternalReferenceForbidden)):
        DefusedET.fromstring(body, forbid_dtd=forbid_dtd)


FEED_FIXTURES = ["rss090.xml", "rss091.xml", "rss10-rdf.xml", "rss20.xml", "atom03.xml",
                 "atom10.xml"] + [f"encoding/{name}" for name in sorted(ENCODING_CASES)]


@pytest.mark.parametrize("name", FEED_FIXTURES)
def test_real_feed_fixtures_pass_the_guard(name: str) -> None:
    body = fixture(name)
    check_xml(body, max_bytes=len(body))


def test_billion_laughs_behind_10_mib_of_padding_is_refused_quickly() -> None:
    body = (b'<?xml version="1.0"?><!--' + b"x" * (10 * MiB) + b'-->'
            + fixture("hostile/billion-laughs.xml").split(b"?>", 1)[1])
    start = time.perf_counter()
    with pytest.raises(HostileXmlError):
        check_xml(body, max_bytes=len(body))
    assert time.perf_counter() - start < 0.5
    seconds, peak = measured(lambda: parse_feed(body))
    assert seconds < 1.0 and peak < 40, (seconds, peak)


@pytest.mark.parametrize(("document", "trick"), [
    # The Netscape public identifier with a system identifier of the attacker's choosing.
    (b'<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" '
     b'"file:///etc/passwd"><rss version="0.91"/>', xml_guard.EXTERNAL_DTD),
    (b'<?xml version="1.0"?><rss version="2.0"><channel><!ENTITY x SYSTEM '
     b'"file:///etc/passwd"><title>&x;</title></channel></rss>', xml_guard.EXTERNAL_ENTITY),
    (b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY t "tiny">]><rss>&t;</rss>',
     xml_guard.INTERNAL_ENTITY),
    (b'<?xml version="1.0"?><!DOCTYPE rss [<!ELEMENT rss ANY>]><rss/>', xml_guard.INTERNAL_SUBSET),
    (b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x "y"><rss/>', xml_guard.INTERNAL_ENTITY),
    (b'<?xml version="1.0"?><!doctype rss [<!entity x system "file:///etc/passwd">]><rss/>',
     xml_guard.EXTERNAL_ENTITY),
    # UTF-7 hides "<!ENTITY" from a byte search; the guard decodes what the prolog declares.
    (b'<?xml version="1.0" encoding="UTF-7"?>+ADw-!DOCTYPE rss +AFs-+ADw-!ENTITY x SYSTEM '
     b'+ACI-file:///etc/passwd+ACI-+AD4-+AF0-+AD4-<rss/>', xml_guard.EXTERNAL_ENTITY),
    ("\ufeff<?xml version='1.0' encoding='UTF-32'?><!DOCTYPE r [<!ENTITY % p SYSTEM 'x'>]><rss/>"
     .encode("utf-32-le"), xml_guard.PARAMETER_ENTITY),
])
def test_guard_refuses(document: bytes, trick: str) -> None:
    with pytest.raises(HostileXmlError) as raised:
        check_xml(document, max_bytes=len(document))
    assert raised.value.trick == trick


@pytest.mark.parametrize("document", [
    b"<?xml version='1.0'?><!DOCTYPE rss><rss version='2.0'/>",
    b"<!DOCTYPE rss [ <!-- nothing declared --> ]><rss version='2.0'/>",
    b'<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN"><rss/>',
    # DTD-looking text inside CDATA and comments is text, not a declaration.
    b"<rss><channel><description><![CDATA[<!DOCTYPE html><!ENTITY x 'y'>]]></description>"
    b"<!-- <!ENTITY z SYSTEM 'file:///etc/passwd'> --></channel></rss>",
    b"<?xml-stylesheet href='style.xsl' type='text/xsl'?><rss version='2.0'/>",
])
def test_guard_allows_documents_that_declare_nothing(document: bytes) -> None:
    check_xml(document, max_bytes=len(document))


def test_guard_enforces_its_size_limit() -> None:
    with pytest.raises(TooLargeError):
        check_xml(b"<rss/>" * 100, max_bytes=599)


# --- not feeds, broken feeds -----------------------------------------------------------


@pytest.mark.parametrize(("body", "message"), [
    (fixture("hostile/not-a-feed.html"), "HTML page"),
    (fixture("hostile/sitemap.xml"), "root element <urlset>"),
    (fixture("hostile/image.svg"), "root element <svg>"),
    (fixture("hostile/binary-junk.bin"), "binary data"),
    (fixture("hostile/empty.xml"), "empty document"),
    (b" \n\t\r\n", "empty document"),
    ("\n  \n".encode("utf-16"), "empty document"),
    (b"Breaking: this server returns plain text.\n", "plain text"),
    (b'{"version": "https://jsonfeed.org/version/1.1", "items": {}}', "without an items list"),
    (b'{"title": "My API", "items": []}', "not a JSON Feed"),
    (b'[{"id": 1}]', "not a JSON Feed"),
    (b'{"version": "https://jsonfeed.org/version/1.1", "items": [{"id": ', "malformed JSON"),
    (b"<?xml version='1.0'?><rss version='2.0'><channel><title>Cut",
     "malformed XML"),
])
def test_not_a_feed(body: bytes, message: str) -> None:
    with pytest.raises(NotAFeedError) as raised:
        parse_feed(body)
    assert raised.value.reason_code == "not_a_feed"
    assert message in str(raised.value)


def test_truncated_feed_keeps_the_entries_before_the_break() -> None:
    feed = parse("hostile/truncated.xml")
    assert [e.title for e in feed.entries] == ["First complete story", "Second complete story"]
    assert feed.entries_total == 3  # the half entry the truncation left counts as dropped
    [warning] = feed.warnings
    assert warning.startswith("malformed XML (no element found at line 23")
    assert "kept 2 entries parsed before the error, dropped 1 incomplete" in warning


def test_an_empty_feed_is_a_feed_with_a_warning() -> None:
    feed = parse_feed(rss(""))
    assert (feed.format, feed.entries, feed.warnings) == ("rss20", [], ["the feed has no entries"])


def test_junk_before_the_xml_is_skipped() -> None:
    body = b"Notice: Undefined index: id in /var/www/feed.php on line 3\n" + rss(
        "<item><title>One</title><link>https://x.example/1</link></item>")
    feed = parse_feed(body)
    assert [e.title for e in feed.entries] == ["One"]
    assert feed.warnings == ["ignored 59 characters of junk before the XML"]


def test_bare_ampersands_and_html_entities_do_not_break_the_strict_parser() -> None:
    feed = parse_feed(rss(
        "<item><title>AT&T &amp; Q&A &mdash; &eacute;t&eacute; &bogus;</title>"
        "<link>https://x.example/a?b=1&c=2</link></item>"))
    [entry] = feed.entries
    assert entry.title == "AT&T & Q&A — été &bogus;"
    assert entry.url == "https://x.example/a?b=1&c=2"
    assert feed.warnings == []


def test_body_over_max_bytes_is_too_large() -> None:
    with pytest.raises(TooLargeError):
        parse_feed(fixture("rss20.xml"), max_bytes=1000)


# --- bounds ----------------------------------------------------------------------------


def test_ten_thousand_items_are_cut_to_max_entries_in_bounded_time_and_memory() -> None:
    body = many_items(10_000)
    start = time.perf_counter()
    feed = parse_feed(body)
    assert time.perf_counter() - start < 2.0
    assert len(feed.entries) == 2000 and feed.entries_total == 10_000
    assert (feed.entries[0].title, feed.entries[-1].title) == ("Berita 0", "Berita 1999")
    assert feed.warnings == ["truncated to 2000 entries of 10000"]
    _seconds, peak = measured(lambda: parse_feed(body))
    assert peak < 50, peak


def test_huge_fields_are_truncated_in_bounded_time_and_memory() -> None:
    words = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 90_000  # 5 MB
    paragraphs = ("<p>" + "Sed ut perspiciatis unde omnis iste natus error. " * 10 + "</p>") * 9000
    body = rss(f"<item><title>{'T' * 300_000}</title><link>https://h.example/1</link>"
               f"<description>{words}</description>"
               f"<content:encoded><![CDATA[{paragraphs}]]></content:encoded></item>"
               "<item><title>Small</title><link>https://h.example/2</link></item>")
    start = time.perf_counter()
    feed = parse_feed(body)
    assert time.perf_counter() - start < 2.0
    huge, small = feed.entries
    for text in (huge.title, huge.summary, huge.content):
        assert text is not None and 199_900 < len(text) <= 200_000
    assert huge.content is not None and huge.content.count("\n\n") > 300  # paragraphs kept
    assert small.title == "Small"
    assert "field <description> cut before parsing: 5130000 characters, 800000 kept" \
        in feed.warnings
    assert "field content truncated to 200000 characters in 1 entry (longest 790343)" \
        in feed.warnings
    _seconds, peak = measured(lambda: parse_feed(body))
    assert peak < 50, peak


def test_max_field_chars_applies_to_every_text_field() -> None:
    body = rss(f"<item><title>{'word ' * 400}</title><link>https://x.example/1</link>"
               f"<description>{'summary ' * 400}</description></item>")
    [entry] = parse_feed(body, max_field_chars=1000).entries
    assert entry.title is not None and len(entry.title) <= 1000
    assert entry.summary is not None and len(entry.summary) <= 1000


def test_markup_bombs_are_refused_in_bounded_time() -> None:
    nested = rss("<item><title>x</title><description>" + "<div>" * 300_000 + "</item>")
    start = time.perf_counter()
    with pytest.raises(TooLargeError, match="tags before the first complete entry"):
        parse_feed(nested)
    assert time.perf_counter() - start < 0.5


def test_json_feed_with_ten_thousand_items_is_cut_to_max_entries() -> None:
    items = ",".join(f'{{"id": "{i}", "url": "https://j.example/{i}", "content_text": "t"}}'
                     for i in range(10_000))
    body = f'{{"version": "https://jsonfeed.org/version/1.1", "items": [{items}]}}'.encode()
    feed = parse_feed(body, max_entries=500)
    assert len(feed.entries) == 500 and feed.entries_total == 10_000
    assert feed.warnings == ["truncated to 500 entries of 10000"]


# --- feedparser only ever sees bytes ---------------------------------------------------


@pytest.mark.parametrize("name", [*FEED_FIXTURES, "hostile/truncated.xml"])
def test_feedparser_is_only_handed_byte_streams(name: str, feedparser_calls: list[object]) -> None:
    parse(name)
    [source] = feedparser_calls
    assert isinstance(source, io.BytesIO) and isinstance(source.getvalue(), bytes)


def test_feedparser_is_never_given_a_string(feedparser_calls: list[object]) -> None:
    for url_or_path in ("https://attacker.example/feed", "file:///etc/passwd", "/etc/passwd"):
        with pytest.raises(TypeError):
            xml_feeds._feedparser_parse(url_or_path)  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            parse_feed(url_or_path)  # type: ignore[arg-type]
    assert feedparser_calls == []


# --- entries to articles ---------------------------------------------------------------


def entry(**fields: Any) -> FeedEntry:
    defaults: dict[str, Any] = {"guid": None, "url": "https://news.example/a", "title": "Title",
                                "summary": None, "content": None}
    return FeedEntry(**(defaults | fields))


def to_article(item: FeedEntry, feed_url: str = "https://news.example/feed.xml") -> Any:
    return entry_to_article(item, feed_url=feed_url, job_id="job-1", fetched_at=FETCHED)


def test_article_from_an_rss_entry_with_content() -> None:
    flood = parse("rss20.xml").entries[0]
    article = to_article(flood, "https://kabar-nusantara.example.id/feed/")
    assert (article.origin.kind, article.origin.location, article.origin.job_id) == (
        "feed", "https://kabar-nusantara.example.id/feed/", "job-1")
    assert article.body == flood.content and article.body_source == "feed_content"
    assert article.summary == flood.summary and article.guid == flood.guid
    assert article.authors == ["Siti Rahmawati"]
    assert article.url == flood.url
    # The same URL without its tracking parameters, from any source, has the same id.
    assert article.id == article_id(
        url="https://kabar-nusantara.example.id/2025/01/08/banjir-rob-jakarta/",
        title="anything", body="else")
    assert article.published_at == utc(2025, 1, 8, 3, 15)
    assert [(c.source, c.value) for c in article.date_candidates] == [
        ("feed_published", utc(2025, 1, 8, 3, 15))]
    assert article.date_flags == [] and article.fetched_at == FETCHED


def test_article_body_falls_back_to_the_summary() -> None:
    article = to_article(entry(summary="Just the summary."))
    assert (article.body, article.body_source) == ("Just the summary.", "feed_summary")


def test_published_at_rule() -> None:
    published, updated = utc(2025, 1, 8, 10), utc(2025, 1, 8, 12)
    future = FETCHED + timedelta(days=2)
    assert to_article(entry(published=published, updated=updated)).published_at == published
    only_updated = to_article(entry(updated=updated))
    assert (only_updated.published_at, only_updated.date_flags) == (updated, [])
    assert [c.source for c in only_updated.date_candidates] == ["feed_updated"]
    future_published = to_article(entry(published=future, updated=updated))
    assert (future_published.published_at, future_published.date_flags) == (updated, ["future"])
    assert [c.value for c in future_published.date_candidates] == [future, updated]
    all_future = to_article(entry(published=future, updated=future))
    assert (all_future.published_at, all_future.date_flags) == (None, ["future"])
    within_a_day = FETCHED + timedelta(hours=23)
    assert to_article(entry(published=within_a_day)).published_at == within_a_day
    nothing = to_article(entry())
    assert (nothing.published_at, nothing.date_candidates, nothing.date_flags) == (None, [], [])


def test_article_url_from_link_relative_link_or_guid() -> None:
    relative = to_article(entry(url="/2025/01/story?utm_source=feed"))
    assert relative.url == "https://news.example/2025/01/story?utm_source=feed"
    assert relative.id == article_id(url="https://news.example/2025/01/story", title="", body="")
    from_guid = to_article(entry(url=None, guid="https://news.example/b"))
    assert (from_guid.url, from_guid.guid) == ("https://news.example/b", "https://news.example/b")
    assert from_guid.id == article_id(url="https://news.example/b", title="", body="")
    script = to_article(entry(url="javascript:alert(1)", guid="urn:uuid:1"))
    assert script.url is None


def test_article_without_url_is_identified_by_feed_and_guid_then_by_text() -> None:
    first = to_article(entry(url=None, guid="12345", title="A", content="Body one."))
    again = to_article(entry(url=None, guid="12345", title="A changed", content="Edited."))
    other_feed = to_article(entry(url=None, guid="12345"), "https://other.example/feed")
    assert first.url is None and first.id.startswith("t")
    assert first.id == again.id != other_feed.id
    textual = to_article(entry(url=None, guid=None, title="A", content="Body one."))
    assert textual.id == article_id(url=None, title="A", body="Body one.") != first.id


def test_fetched_at_must_be_aware() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        entry_to_article(entry(), feed_url="https://x.example/f", job_id=None,
                         fetched_at=datetime(2025, 1, 1))


# --- pieces ----------------------------------------------------------------------------


def test_html_to_text_keeps_paragraphs_and_drops_scripts() -> None:
    assert html_to_text(
        "Intro<p>One <b>bold</b>&amp;more</p><script>x()</script><style>p{}</style>"
        "<div>Two<br>Three</div><ul><li>a</li><li>b</li></ul><!-- hidden -->"
        "<table><tr><td>c1</td><td>c2</td></tr></table>tail"
    ) == "Intro\n\nOne bold&more\n\nTwo\n\nThree\n\na\n\nb\n\nc1 c2\n\ntail"
    assert html_to_text("Plain text\nsame paragraph.\n\nNext &amp; last.") == (
        "Plain text same paragraph.\n\nNext & last.")
    assert html_to_text("") == ""


def test_json_feed_reader_is_lenient_about_field_types() -> None:
    feed = parse_json_feed(
        b'{"version": "https://jsonfeed.org/version/1.2", "title": 5, "items": ['
        b'{"id": "a", "title": ["not", "text"], "date_published": "yesterday"}, 7]}')
    assert (feed.format, feed.title, feed.item_count) == ("json11", None, 2)
    [item] = feed.items
    assert (item.id, item.title, item.date_published, item.date_published_raw) == (
        "a", None, None, "yesterday")
    assert feed.warnings == [
        "unknown JSON Feed version '1.2', read as 1.1",
        "JSON Feed field 'items[] (not an object)' of the wrong type ignored 1x",
        "JSON Feed field 'title' of the wrong type ignored 2x",
    ]
