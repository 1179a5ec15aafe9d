"""Human output of the CLI renders (the --json forms are covered by integration tests)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from worker import cli
from worker.cli import search

STATS = {
    "articles": 4, "quarantined": 1, "languages": {"id": 1, "en": 3}, "sources": {"seed": 4},
    "distinct_origins": 1, "top_origins": {"/s/a.txt": 1}, "entity_labels": {"PER": 3},
    "top_entities": {"PER:x": 2},
    "ner_status": {"ok": 3, "unsupported": 1}, "queues": {"fetch": 0, "nlp": 2, "index": 0},
}


def test_stats_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search, "collect_stats", lambda: STATS)
    result = CliRunner().invoke(cli.app, ["stats"])
    assert result.exit_code == 0, result.output
    assert "4 articles, 1 quarantined, 1 distinct origins" in result.output
    assert "unsupported" in result.output and "nlp" in result.output


def test_unknown_labels_and_languages_are_refused_with_the_valid_ones() -> None:
    # Refused before any service is reached: no Elasticsearch runs for unit tests.
    result = CliRunner().invoke(cli.app, ["search", "x", "--entity", "FOO:bar"])
    assert result.exit_code == 1
    assert "neither a label nor an id namespace" in result.output and "PER" in result.output
    result = CliRunner().invoke(cli.app, ["search", "x", "--lang", "xx"])
    assert result.exit_code == 1
    assert "unknown language 'xx'" in result.output and "id" in result.output
    result = CliRunner().invoke(cli.app, ["search", "x", "--from", "yesterday"])
    assert result.exit_code == 1
    assert "not a date" in result.output
