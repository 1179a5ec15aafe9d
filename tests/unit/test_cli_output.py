"""Human output of the CLI renders (the --json forms are covered by integration tests)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from worker import cli
from worker.cli import search

STATS = {
    "articles": 4, "quarantined": 1, "languages": {"id": 1, "en": 3}, "sources": {"seed": 4},
    "origins": {"/s/a.txt": 1}, "entity_labels": {"PER": 3}, "top_entities": {"PER:x": 2},
    "ner_status": {"ok": 3, "unsupported": 1}, "queues": {"fetch": 0, "nlp": 2, "index": 0},
}


def test_stats_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search, "collect_stats", lambda: STATS)
    result = CliRunner().invoke(cli.app, ["stats"])
    assert result.exit_code == 0, result.output
    assert "4 articles, 1 quarantined" in result.output
    assert "unsupported" in result.output and "nlp" in result.output


def test_entity_filter_errors_are_clear() -> None:
    result = CliRunner().invoke(cli.app, ["search", "x", "--entity", "Putin"])
    assert result.exit_code == 1
    assert "not LABEL:NAME" in result.output
