"""Elasticsearch's language analyzers and lowercase/asciifolding filters on the dev node.

The dev node (es/start) is Elastic's integ-test distribution, which has no analysis-common
module; es/start installs es/analysis-plugin, which provides those types under the same names.
The expected tokens are Elasticsearch's own (its language analyzers are Lucene's, with their
default stop words), so the same assertions hold on the production image, where the types are
built in. Without the plugin the test index cannot be created: every test here fails.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from elasticsearch import Elasticsearch

from tests.integration.conftest import ROOT, Stack

pytestmark = pytest.mark.integration

# Elasticsearch's built-in language analyzer types (all of which Lucene 9.10 has).
LANGUAGE_TYPES = (
    "arabic", "armenian", "basque", "bengali", "brazilian", "bulgarian", "catalan", "cjk",
    "czech", "danish", "dutch", "english", "estonian", "finnish", "french", "galician",
    "german", "greek", "hindi", "hungarian", "indonesian", "irish", "italian", "latvian",
    "lithuanian", "norwegian", "persian", "portuguese", "romanian", "russian", "sorani",
    "spanish", "swedish", "thai", "turkish",
)
FOLDED = {"type": "custom", "tokenizer": "standard", "filter": ["lowercase", "asciifolding"]}


@pytest.fixture(scope="module")
def es(stack: Stack) -> Elasticsearch:
    rows = {row["name"]: row for row in stack.json("dev", "status")}
    return Elasticsearch(rows["elasticsearch"]["url"], request_timeout=60)


@pytest.fixture(scope="module")
def index(es: Elasticsearch) -> Iterator[str]:
    """A throwaway index defining an analyzer of every type, and the filters' parameters."""
    name = f"analysis-test-{uuid.uuid4().hex}"
    analysis = {
        "analyzer": {
            **{f"lang_{t}": {"type": t} for t in LANGUAGE_TYPES},
            "folded": FOLDED,
            "folded_keeping_original": {**FOLDED, "filter": ["lowercase", "fold_keep"]},
            "lower_turkish": {"type": "custom", "tokenizer": "standard", "filter": ["lower_tr"]},
        },
        "filter": {
            "fold_keep": {"type": "asciifolding", "preserve_original": True},
            "lower_tr": {"type": "lowercase", "language": "turkish"},
        },
    }
    es.indices.create(
        index=name,
        settings={"number_of_shards": 1, "number_of_replicas": 0, "analysis": analysis},
        # A language type also works as a field's analyzer without being defined, as built in.
        mappings={"properties": {"folded": {"type": "text", "analyzer": "folded"},
                                 "english": {"type": "text", "analyzer": "english"}}},
    )
    try:
        yield name
    finally:
        es.indices.delete(index=name, ignore_unavailable=True)


def tokens(es: Elasticsearch, index: str, text: str, **how: Any) -> list[str]:
    """The tokens `_analyze` makes of ``text`` with ``analyzer=`` or ``field=``."""
    return [t["token"] for t in es.indices.analyze(index=index, text=text, **how)["tokens"]]


def test_the_node_has_the_analysis_plugin_or_analysis_common(es: Elasticsearch) -> None:
    info = next(iter(es.nodes.info(metric="plugins")["nodes"].values()))
    names = {p["name"] for p in info["plugins"]} | {m["name"] for m in info["modules"]}
    assert names & {"newsworker-analysis", "analysis-common"}, sorted(names)


@pytest.mark.parametrize("language", LANGUAGE_TYPES)
def test_every_language_type_analyzes(es: Elasticsearch, index: str, language: str) -> None:
    # Some text in every script the analyzers expect; each keeps at least one token of it.
    text = "Elections 2024 Выборы 選挙 εκλογές انتخابات चुनाव নির্বাচন การเลือกตั้ง Ընտրություն"
    assert tokens(es, index, text, analyzer=f"lang_{language}")


def test_the_articles_template_analysis_builds_here(es: Elasticsearch) -> None:
    template = json.loads((ROOT / "config" / "elasticsearch" / "articles-template.json")
                          .read_text(encoding="utf-8"))
    analysis = template["template"]["settings"]["analysis"]
    used = {a["type"] for a in analysis["analyzer"].values()} - {"custom"}
    assert used <= set(LANGUAGE_TYPES)
    name = f"analysis-template-test-{uuid.uuid4().hex}"
    es.indices.create(index=name, settings={"number_of_shards": 1, "number_of_replicas": 0,
                                            "analysis": analysis})
    try:
        assert tokens(es, name, "The President's elections", analyzer="text_en") == [
            "presid", "elect"]
        assert tokens(es, name, "Élysée", analyzer="folded") == ["elysee"]
    finally:
        es.indices.delete(index=name, ignore_unavailable=True)


@pytest.mark.parametrize(("analyzer", "text", "expected"), [
    # english: possessive 's and the stop word go, Porter stems.
    ("lang_english", "The President's elections", ["presid", "elect"]),
    ("lang_english", "election elections elected", ["elect", "elect", "elect"]),
    # indonesian: "yang" is a stop word; the prefix/suffix stemmer meets the root.
    ("lang_indonesian", "yang menyetujui setuju", ["setuju", "setuju"]),
    ("lang_indonesian", "pemilihan memilih", ["ilih", "ilih"]),
    # french: elision l' removed, lowercased, light stemmer folds accents and the plural.
    ("lang_french", "l'Élysée", ["elys"]),
    ("lang_french", "présidentielles présidentielle", ["presidentiel", "presidentiel"]),
    # german: light stemmer, umlauts and ß normalised (ü = ue, ß = ss).
    ("lang_german", "Wahlen Wahl", ["wahl", "wahl"]),
    ("lang_german", "Müller Mueller Straße Strasse", ["mull", "mull", "strass", "strass"]),
    ("lang_spanish", "elecciones elección", ["eleccion", "eleccion"]),
    ("lang_italian", "elezioni elezione", ["elezion", "elezion"]),
    ("lang_portuguese", "eleições eleição", ["eleica", "eleica"]),
    ("lang_dutch", "verkiezingen verkiezing", ["verkiez", "verkiez"]),
    ("lang_russian", "выборы выбор", ["выбор", "выбор"]),
    ("lang_arabic", "الانتخابات", ["انتخاب"]),
    # cjk: overlapping bigrams.
    ("lang_cjk", "東京都", ["東京", "京都"]),
    # thai: dictionary word break, การ is a stop word.
    ("lang_thai", "การเลือกตั้ง", ["เลือกตั้ง"]),
])
def test_language_analyzers_make_elasticsearchs_tokens(
    es: Elasticsearch, index: str, analyzer: str, text: str, expected: list[str]
) -> None:
    assert tokens(es, index, text, analyzer=analyzer) == expected


def test_a_language_type_named_in_a_mapping_works_undefined(es: Elasticsearch, index: str) -> None:
    assert tokens(es, index, "The President's elections", field="english") == ["presid", "elect"]


def test_lowercase_and_asciifolding(es: Elasticsearch, index: str) -> None:
    assert tokens(es, index, "Élysée", analyzer="folded") == ["elysee"]
    assert tokens(es, index, "Élysée", analyzer="folded") == tokens(
        es, index, "Elysee", analyzer="folded")
    assert tokens(es, index, "STRAẞE Ærø Øresund", analyzer="folded") == [
        "strasse", "aero", "oresund"]
    # preserve_original: the folded token and the original, at the same position.
    assert tokens(es, index, "Élysée", analyzer="folded_keeping_original") == [
        "elysee", "élysée"]
    # lowercase's language parameter: Turkish dotted/dotless i.
    assert tokens(es, index, "DİYARBAKIR", analyzer="lower_turkish") == ["diyarbakır"]


def test_folding_also_normalizes_query_terms(es: Elasticsearch, index: str) -> None:
    """Multi-term queries (here a query_string wildcard) see the terms lowercased and folded."""
    es.index(index=index, document={"folded": "Palais Élysée"}, refresh=True)
    for query in ({"query_string": {"query": "folded:ÉLYS*"}}, {"match": {"folded": "ELYSEE"}}):
        assert es.search(index=index, query=query)["hits"]["total"]["value"] == 1, query
