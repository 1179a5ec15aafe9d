"""Search that people use, against the real node with the language analyzers installed.

Seven articles of our own in five languages are ingested through the real workers; every
query is scoped to their seed file with --origin, so other tests' articles never interfere.
"""

from __future__ import annotations

import json
import shutil
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import pytest
from elasticsearch import Elasticsearch

from tests.integration.conftest import ROOT, Stack
from worker.enrich.normalise import default_tables
from worker.index.documents import article_document
from worker.index.layout import load_layout
from worker.index.templates import load_template
from worker.record import Article, Entity, Origin

pytestmark = pytest.mark.integration
FIXTURE = ROOT / "tests" / "fixtures" / "search" / "multilingual.jsonl"
URLS = {json.loads(line)["title"].split()[0]: json.loads(line)["url"]
        for line in FIXTURE.read_text(encoding="utf-8").splitlines()}


@pytest.fixture(scope="module")
def corpus(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The fixture ingested once; its path is the origin every query filters on."""
    folder = tmp_path_factory.mktemp("search-corpus")
    path = folder / "multilingual.jsonl"
    shutil.copy(FIXTURE, path)
    summary = stack.json("ingest", str(path), "--wait", "--timeout", "300")
    assert summary["indexed"] == 7, summary
    return str(path)


def _urls(hits: list[dict[str, Any]]) -> list[str]:
    return [h["url"] for h in hits]


def test_template_installs_the_language_analyzers(stack: Stack, corpus: str) -> None:
    es = Elasticsearch(stack.url_of("elasticsearch"))
    [index] = es.indices.get_alias(name="news-articles")
    tokens = {
        analyzer: [t["token"] for t in es.indices.analyze(
            index=index, analyzer=analyzer, text=text)["tokens"]]
        for analyzer, text in (("text_id", "menyetujui yang setuju"),
                               ("text_en", "The elections"), ("folded", "l'Élysée Élysée"))
    }
    assert tokens["text_id"] == ["tuju", "tuju"] or tokens["text_id"][0] == tokens["text_id"][1]
    assert tokens["text_en"] == ["elect"]
    assert tokens["folded"][-1] == "elysee"


@pytest.mark.parametrize(("words", "language", "title_word"), [
    ("election", "en", "Minsk"),          # elections -> elect
    ("setuju", "id", "DPR"),              # menyetujui -> setuju
    ("présidentielle", "fr", "Les"),      # présidentielles, one stem
    ("Elysee", "fr", "Les"),              # l'Élysée: elision and accents
    ("Wahl", "de", "Bundestag"),          # Wahlen
    ("elección", "es", "El"),             # elecciones
])
def test_words_find_their_stems_in_each_language(stack: Stack, corpus: str, words: str,
                                                 language: str, title_word: str) -> None:
    hits = stack.hits(words, "--origin", corpus)
    assert URLS[title_word] in _urls(hits), (words, _urls(hits))
    hit = next(h for h in hits if h["url"] == URLS[title_word])
    assert hit["language"] == language
    assert any("<mark>" in s for s in hit["snippets"]) or "<mark>" in (
        hit["title_highlighted"] or ""), hit


def test_accents_fold_in_every_language(stack: Stack, corpus: str) -> None:
    # "Élysée Palace" in an English article: the folded field matches the plain spelling.
    assert URLS["Aleppo"] in _urls(stack.hits("Elysee Palace", "--origin", corpus))


def test_one_entity_filter_finds_every_language_and_spelling(stack: Stack, corpus: str) -> None:
    syria = set(_urls(stack.hits("", "--entity", "Syria", "--origin", corpus)))
    assert {URLS["DPR"], URLS["Putin"]} <= syria  # "Suriah" in Indonesian, "Syria" in English
    assert set(_urls(stack.hits("", "--entity", "country:sy", "--origin", corpus))) == syria
    both = _urls(stack.hits("", "--entity", "PER:Putin", "--entity", "Aleppo",
                            "--origin", corpus))
    assert set(both) == {URLS["Putin"], URLS["Aleppo"]}


def test_filters_by_language_label_site_and_date(stack: Stack, corpus: str) -> None:
    assert _urls(stack.hits("", "--lang", "de", "--origin", corpus)) == [URLS["Bundestag"]]
    spanish = stack.hits("", "--lang", "es", "--label", "PER", "--origin", corpus)
    assert _urls(spanish) == [URLS["El"]]
    assert set(_urls(stack.hits("", "--site", "news.example.com", "--origin", corpus))) == {
        URLS["Putin"], URLS["Minsk"], URLS["Aleppo"]}
    window = stack.hits("", "--from", "2024-03-05", "--to", "2024-03-06T23:59:59Z",
                        "--sort", "oldest", "--origin", corpus)
    assert _urls(window) == [URLS["Minsk"], URLS["Les"], URLS["Bundestag"]] or _urls(window) == [
        URLS["Minsk"], URLS["Bundestag"], URLS["Les"]]


def test_newest_first_and_pages_with_search_after(stack: Stack, corpus: str) -> None:
    newest = stack.hits("", "--sort", "newest", "--origin", corpus, "--limit", "20")
    dates = [h["date"] for h in newest]
    assert dates == sorted(dates, reverse=True) and len(newest) == 7
    first = stack.json("search", "", "--sort", "newest", "--origin", corpus, "--limit", "3")
    seen = _urls(first["hits"])
    page = first
    while page["next"]:
        page = stack.json("search", "", "--sort", "newest", "--origin", corpus, "--limit", "3",
                          "--after", page["next"])
        seen += _urls(page["hits"])
    assert seen == _urls(newest)  # every article once, in order, across three pages


def test_facets_count_entities_languages_and_days(stack: Stack, corpus: str) -> None:
    facets = stack.json("facets", "", "--origin", corpus)
    assert facets["total"] == 7
    assert {b["value"]: b["count"] for b in facets["languages"]} == {
        "en": 3, "id": 1, "fr": 1, "de": 1, "es": 1}
    people = {b["value"]: b["count"] for b in facets["entities"]["PER"]}
    assert people["Vladimir Putin"] == 2
    days = {b["value"]: b["count"] for b in facets["per_day"]}
    assert days["2024-03-04"] == 2 and days["2024-03-06"] == 2 and sum(days.values()) == 7
    narrowed = stack.json("facets", "", "--origin", corpus, "--entity", "Aleppo")
    assert narrowed["total"] == 3 and {b["value"] for b in narrowed["languages"]} == {"en", "id"}


def test_entities_that_cooccur_with_one_entity(stack: Stack, corpus: str) -> None:
    beside_minsk = stack.json("cooccur", "Minsk", "--origin", corpus, "--size", "10")
    people = [b["value"] for b in beside_minsk["entities"]["PER"]]
    places = [b["value"] for b in beside_minsk["entities"]["LOC"]]
    assert "Alexander Lukashenko" in people and "Minsk" not in places
    beside_putin = stack.json("cooccur", "PER:Putin", "--origin", corpus)
    assert "Vladimir Putin" not in [b["value"] for b in beside_putin["entities"]["PER"]]
    assert "Aleppo" in [b["value"] for b in beside_putin["entities"]["LOC"]]


def test_more_like_this_finds_the_follow_up_story(stack: Stack, corpus: str) -> None:
    [first] = [h for h in stack.hits("ceasefire Turkish", "--origin", corpus)
               if h["url"] == URLS["Putin"]]
    similar = stack.json("similar", first["id"], "--limit", "3")
    assert similar["hits"][0]["url"] == URLS["Aleppo"]


def test_bad_input_is_one_line_errors(stack: Stack, corpus: str) -> None:
    for args, reason in ((["--lang", "xx"], "unknown language 'xx'"),
                         (["--entity", "FOO:bar"], "neither a label nor an id namespace"),
                         (["--from", "2024-13-45"], "not a date"),
                         (["--after", "garbage"], "cursor")):
        result = stack.cli("search", "x", *args, check=False)
        assert result.returncode == 1 and reason in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
    # Query syntax never reaches Elasticsearch as something it can fail on.
    assert stack.hits('"unclosed (quote AND OR', "--origin", corpus) == []


def _get(url: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_http_api_answers_and_refuses_over_real_http(stack: Stack, corpus: str) -> None:
    api = stack.url_of("api")
    origin = urllib.parse.quote(corpus)
    status, page = _get(f"{api}/search?q=setuju&origin={origin}")
    assert status == 200 and _urls(page["hits"]) == [URLS["DPR"]]
    assert "<mark>" in page["hits"][0]["snippets"][0]
    status, facets = _get(f"{api}/facets?origin={origin}&entity=Syria")
    assert status == 200 and facets["total"] == 2
    status, related = _get(f"{api}/entities/cooccurring?entity=Minsk&origin={origin}")
    assert status == 200 and related["measure"] == "count"
    status, doc = _get(f"{api}/articles/{page['hits'][0]['id']}")
    assert status == 200 and doc["language"] == "id" and "minhash" not in doc
    status, similar = _get(f"{api}/articles/{page['hits'][0]['id']}/similar?size=2")
    assert status == 200 and len(similar["hits"]) <= 2
    status, spec = _get(f"{api}/openapi.json")
    assert status == 200 and {"/search", "/facets", "/entities/cooccurring"} <= set(spec["paths"])

    for query, reason in (("lang=xx", "unknown language"), ("from=yesterday", "not a date"),
                          ("sort=random", "sort"), ("size=1000", "size"),
                          ("entity=FOO:bar", "neither a label")):
        status, error = _get(f"{api}/search?{query}")
        assert status == 400 and reason in error["error"], (query, error)
    assert _get(f"{api}/search?lang=xx")[1]["valid"][:2] == ["ar", "da"]
    assert _get(f"{api}/articles/nope")[0] == 404


def test_ten_thousand_distinct_entity_strings_leave_the_mapping_unchanged(
        stack: Stack) -> None:
    es = Elasticsearch(stack.url_of("elasticsearch"))
    config = ROOT / "config"
    template = load_template(config, "articles", "unused-*")["template"]
    index = "field-growth-check"
    es.options(ignore_status=404).indices.delete(index=index)
    es.indices.create(index=index, settings=template["settings"], mappings=template["mappings"])

    def field_count() -> int:
        mapping = es.indices.get_mapping(index=index)[index]["mappings"]
        return json.dumps(mapping).count('"type"')

    before = field_count()
    tables, layout = default_tables(config), load_layout(config)
    operations: list[dict[str, Any]] = []
    for n in range(100):
        entities = [Entity(key=f"{label}:e{n}-{k}", name=f"Entity {n}-{k}", label=label,
                           surface_forms=[f"Entity {n}-{k}"], count=1)
                    for k in range(100) for label in ("ORG",)]
        article = Article(id=f"t{n}", origin=Origin(kind="seed", location=f"/x/{n}.txt"),
                          title=f"Article {n}", body="Text.", language="en", entities=entities)
        operations += [{"create": {"_index": index, "_id": article.id}},
                       article_document(article, tables, layout)]
    response = es.bulk(operations=operations, refresh=True)
    assert not response["errors"]
    assert es.count(index=index)["count"] == 100
    assert field_count() == before  # 10,000 distinct names, not one field more
    es.indices.delete(index=index)


def test_migration_gives_documents_of_the_older_schema_the_language_fields(
        stack: Stack, corpus: str) -> None:
    es = Elasticsearch(stack.url_of("elasticsearch"))
    [index] = es.indices.get_alias(name="news-articles")
    # A document as schema 1 wrote it: no per-language text, no entity_names.
    es.index(index="news-articles", id="tschema1doc", refresh=True, document={
        "title": "Parlemen menyetujui undang-undang pemilu", "body": "Isi berita lama.",
        "language": "id", "source_kind": "seed", "fetched_at": "2023-01-02T00:00:00Z",
        "origins": [{"kind": "seed", "location": corpus + ".old", "job_id": None}],
        "entities": [], "entity_keys": [], "version": 1})
    es.indices.put_mapping(index=index, meta={"schema_version": 1})
    assert stack.hits("setuju", "--origin", corpus + ".old") == []  # no Indonesian stemming
    report = stack.json("index", "migrate")
    assert report["method"] == "scroll", report
    [hit] = stack.hits("setuju", "--origin", corpus + ".old")
    assert hit["id"] == "tschema1doc" and hit["date"].startswith("2023-01-02")
    assert len(stack.hits("", "--origin", corpus)) == 7  # the rest came across too
    # Other tests count stale documents: this hand-made one must not stay behind.
    es.delete(index="news-articles", id="tschema1doc", refresh=True)
