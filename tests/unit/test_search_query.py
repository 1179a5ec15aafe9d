"""Search requests: filters people type become the right terms, and bad input is refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.unit.shipped_config import LAYOUT, TABLES, VOCABULARY
from worker.index.documents import article_document, with_derived_fields
from worker.record import Article, Entity, Origin
from worker.search import query, results
from worker.search.entity_filter import entity_terms
from worker.search.request import SearchError, SearchRequest, decode_cursor, encode_cursor


def _checked(**kwargs: object) -> SearchRequest:
    return SearchRequest.of(**kwargs).checked(VOCABULARY)


def test_an_entity_filter_takes_a_label_an_id_or_a_bare_name_in_any_language() -> None:
    assert "PER:vladimir putin" in entity_terms("per: Vladimir Putin", VOCABULARY, TABLES)
    # An id in any case finds the documents that carry it verbatim.
    assert "country:SY" in entity_terms("country:sy", VOCABULARY, TABLES)
    # A bare name: every label, and the id its name or alias links to in any language.
    syria = entity_terms("Syrie", VOCABULARY, TABLES)
    assert "country:SY" in syria and "LOC:syrie" in syria and "PER:syrie" in syria
    assert "country:SY" in entity_terms("LOC:Suriah", VOCABULARY, TABLES)


def test_unknown_labels_and_languages_are_refused_with_the_valid_ones() -> None:
    with pytest.raises(SearchError) as bad_prefix:
        entity_terms("FOO:bar", VOCABULARY, TABLES)
    assert "PER" in bad_prefix.value.valid and "country" in bad_prefix.value.valid
    with pytest.raises(SearchError, match="has a label but no name"):
        entity_terms("PER:", VOCABULARY, TABLES)
    with pytest.raises(SearchError, match="unknown language 'xx'") as bad_language:
        _checked(languages=["xx"])
    assert {"en", "id", "fr", "de", "es"} <= set(bad_language.value.valid)
    with pytest.raises(SearchError, match="unknown entity label 'PLACE'"):
        _checked(labels=["PLACE"])


def test_dates_are_checked_and_bare_dates_are_utc_days() -> None:
    request = _checked(date_from="2024-05-01", date_to="2024-05-31T23:59:59Z")
    assert request.date_from == datetime(2024, 5, 1, tzinfo=UTC)
    [clause] = query.filters(request, VOCABULARY, TABLES)
    assert clause["range"][query.DATE_FIELD]["gte"].startswith("2024-05-01T00:00:00")
    # A bare end date includes its whole day.
    last = _checked(date_to="2024-03-31").date_to
    assert last is not None and (last.day, last.hour, last.minute) == (31, 23, 59)
    with pytest.raises(SearchError, match="not a date"):
        SearchRequest.of(date_from="last week")
    with pytest.raises(SearchError, match="is after"):
        _checked(date_from="2024-06-01", date_to="2024-05-01")


def test_query_text_goes_through_simple_query_string_over_every_language_field() -> None:
    body = query.search_body(_checked(q='"gencatan senjata" -Gaza', size=5), VOCABULARY, TABLES)
    text = body["query"]["bool"]["must"][0]["simple_query_string"]
    assert text["query"] == '"gencatan senjata" -Gaza' and text["default_operator"] == "and"
    assert {"body", "body.folded", "text_by_language.*.body"} <= set(text["fields"])
    assert query.text_query("  ") == {"match_all": {}}


def test_paging_cursor_round_trips_and_foreign_cursors_are_refused() -> None:
    cursor = encode_cursor([1.5, "2024-01-01T00:00:00Z", "u123"])
    assert decode_cursor(cursor) == [1.5, "2024-01-01T00:00:00Z", "u123"]
    body = query.search_body(_checked(after=cursor), VOCABULARY, TABLES)
    assert body["search_after"] == [1.5, "2024-01-01T00:00:00Z", "u123"]
    with pytest.raises(SearchError, match="cursor"):
        _checked(after="not-a-cursor!")


def test_histograms_stay_bounded() -> None:
    spec = query.histogram("day", None, None)["date_histogram"]
    assert spec["min_doc_count"] == 1  # without a range, only days that have articles
    with pytest.raises(SearchError, match="coarser interval"):
        query.histogram("day", datetime(2000, 1, 1, tzinfo=UTC), datetime(2024, 1, 1, tzinfo=UTC))
    assert query.histogram("year", datetime(2000, 1, 1, tzinfo=UTC),
                           datetime(2024, 1, 1, tzinfo=UTC))["date_histogram"]["min_doc_count"] == 0


def _article(language: str, entities: list[Entity]) -> Article:
    return Article(id="u1", origin=Origin(kind="feed", location="https://f.example/rss"),
                   url="https://www.Example.org/a", title="Judul", body="Isi berita.",
                   language=language, entities=entities,
                   fetched_at=datetime(2024, 2, 3, tzinfo=UTC))


def test_documents_carry_their_language_copy_only_where_the_mapping_has_one() -> None:
    putin = Entity(key="PER:vladimir putin", name="Vladimir Putin", label="PER",
                   surface_forms=["Putin"], count=2)
    syria = Entity(key="LOC:suriah", name="Suriah", label="LOC", surface_forms=["Suriah"],
                   count=1, canonical_id="country:SY")
    doc = article_document(_article("id", [putin, syria]), TABLES, LAYOUT)
    assert doc["text_by_language"] == {"id": {"title": "Judul", "body": "Isi berita."}}
    assert doc["entity_names"] == {"LOC": ["Suriah"], "PER": ["Vladimir Putin"]}
    assert doc["entity_ids"] == ["country:SY"] and doc["site"] == "example.org"
    assert doc["published_or_fetched_at"].startswith("2024-02-03")  # no published date
    assert article_document(_article("uk", []), TABLES, LAYOUT)["text_by_language"] == {}
    assert {"en", "id", "fr", "de", "es"} <= LAYOUT.text_languages


def test_cooccurrence_leaves_out_the_entity_itself_under_all_its_names() -> None:
    putin = {"key": "PER:vladimir putin", "name": "Vladimir Putin", "label": "PER",
             "surface_forms": ["Presiden Putin", "Putin"], "count": 3}
    assad = {"key": "PER:bashar al-assad", "name": "Bashar al-Assad", "label": "PER",
             "surface_forms": ["Assad"], "count": 1}
    sample = [{"language": "id", "entities": [putin, assad]}]
    terms = set(entity_terms("PER:Putin", VOCABULARY, TABLES))
    excluded = results.own_names(sample, terms, TABLES)
    assert excluded == {"PER": {"Vladimir Putin"}}
    response = {"aggregations": {"entities.PER": {"buckets": [
        {"key": "Vladimir Putin", "doc_count": 4}, {"key": "Bashar al-Assad", "doc_count": 2}]}}}
    assert results.cooccurring(response, ["PER"], excluded, 10) == {
        "PER": [{"value": "Bashar al-Assad", "count": 2}]}


def test_a_hit_shows_the_highlight_of_its_own_language_field_first() -> None:
    hit = {"_id": "u1", "_score": 2.0, "_source": {"title": "Judul", "language": "id"},
           "highlight": {"body": ["<mark>setuju</mark>"],
                         "text_by_language.id.body": ["<mark>menyetujui</mark> dan setuju"]}}
    row = results.hit_row(hit)
    assert row["snippets"] == ["<mark>menyetujui</mark> dan setuju"]
    assert row["title_highlighted"] is None and row["title"] == "Judul"


def test_a_migrated_document_of_an_older_schema_gains_the_new_fields() -> None:
    older = {"title": "DPR menyetujui anggaran", "body": "Isi.", "language": "id",
             "url": "https://www.berita.example.id/a", "fetched_at": "2024-03-04T00:00:00Z",
             "entities": [{"key": "LOC:suriah", "name": "Suriah", "label": "LOC",
                           "surface_forms": ["Suriah"], "count": 1, "canonical_id": "country:SY"}]}
    doc = with_derived_fields("u1", older, LAYOUT)
    assert doc["text_by_language"] == {"id": {"title": "DPR menyetujui anggaran", "body": "Isi."}}
    assert doc["entity_names"] == {"LOC": ["Suriah"]} and doc["entity_ids"] == ["country:SY"]
    assert doc["id"] == "u1" and doc["site"] == "berita.example.id"
    assert doc["published_or_fetched_at"] == "2024-03-04T00:00:00Z"
    assert older.get("text_by_language") is None  # the input is left as it was


def test_origin_feed_publication_and_site_filters() -> None:
    request = _checked(origins=["/data/seeds/"], feeds=["https://f.example/rss"],
                       publications=["Le Monde"], sites=["www.Example.org"])
    clauses = query.filters(request, VOCABULARY, TABLES)
    assert {"bool": {"minimum_should_match": 1, "should": [
        {"term": {"origins.location": "/data/seeds/"}},
        {"prefix": {"origins.location": "/data/seeds/"}}]}} in clauses
    assert {"terms": {"origins.location": ["https://f.example/rss"]}} in clauses
    assert {"terms": {"attributed_publication": ["Le Monde"]}} in clauses
    assert {"terms": {"site": ["example.org"]}} in clauses
