"""The Kibana saved objects against the live index: every field they use is in the mapping of
every index behind their data view, with a type that supports the use, and Elasticsearch runs
the aggregations, sorts and queries those uses stand for (Kibana itself cannot run here)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from elasticsearch import ApiError, Elasticsearch

from tests.integration.conftest import ROOT, Stack
from worker.index.store import ElasticStore
from worker.kibana.checks import FieldUse, field_problems, field_uses, fields_by_index
from worker.kibana.objects import NDJSON
from worker.settings import Settings

pytestmark = pytest.mark.integration
OBJECTS = [json.loads(line) for line in (ROOT / NDJSON).read_text(encoding="utf-8").splitlines()]
PATTERNS = {o["id"]: o["attributes"]["title"] for o in OBJECTS if o["type"] == "index-pattern"}


@pytest.fixture(scope="module")
def es(stack: Stack) -> Elasticsearch:
    """The stack's node, with the articles alias and the quarantine index in place (a worker
    creates them on its first task; this does not wait for one)."""
    url = stack.url_of("elasticsearch")
    client = Elasticsearch(url, request_timeout=60)
    settings = Settings(elasticsearch_url=url, articles_alias="news-articles",
                        quarantine_index="news-quarantine", config_dir=ROOT / "config")
    ElasticStore(settings, client).ensure_indices()
    return client


def _live(es: Elasticsearch) -> dict[str, dict[str, Any]]:
    return {pattern: fields_by_index(es.indices.get_mapping(index=pattern).body)
            for pattern in PATTERNS.values()}


def test_every_field_is_mapped_live_with_a_type_fit_for_its_use(es: Elasticsearch) -> None:
    mappings = _live(es)
    assert mappings["news-articles"] and mappings["news-quarantine"]
    assert all(index.startswith("news-articles-") for index in mappings["news-articles"])
    assert field_problems(OBJECTS, mappings) == []
    # The live mapping is flattened as Kibana sees it: multi-fields and sub-objects included.
    [fields] = list(mappings["news-articles"].values())[:1]
    assert fields["title.keyword"].aggregatable and not fields["title"].aggregatable
    assert fields["entity_names.LOC"].type == "keyword" and not fields["mentions"].searchable


def _run(es: Elasticsearch, use: FieldUse) -> None:
    """What Kibana asks of Elasticsearch for this use of the field."""
    index, f = PATTERNS[use.data_view], use.field
    if use.use == "aggregate":
        es.search(index=index, size=0, aggs={"a": {"terms": {"field": f, "size": 3}}})
    elif use.use in ("date_histogram", "time"):
        es.search(index=index, size=0, query={"range": {f: {"gte": "now-30d/d"}}},
                  aggs={"a": {"date_histogram": {"field": f, "calendar_interval": "day"}}})
    elif use.use == "sort":
        es.search(index=index, size=1, sort=[{f: {"order": "desc"}}])
    elif use.use == "query":
        es.search(index=index, size=0, query={"exists": {"field": f}})


def test_elasticsearch_runs_what_each_use_stands_for(es: Elasticsearch) -> None:
    failures = []
    for use in field_uses(OBJECTS):
        try:
            _run(es, use)
        except ApiError as exc:
            failures.append(f"{use}: {exc.meta.status} {exc.message}")
    assert failures == []
    # ... and the same request on a text field fails, so a wrong field would have been seen.
    with pytest.raises(ApiError):
        _run(es, FieldUse("lens/x", "newsworker-articles", "title", "aggregate"))
