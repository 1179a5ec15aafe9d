"""The search page's files as the API serves them, and the /quarantine route (no services)."""

from __future__ import annotations

import ast
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from worker.api.app import QUARANTINE_STAGES, STATIC, create_app
from worker.search.service import SearchService

ROOT = Path(__file__).resolve().parents[2]
ASSETS = {"index.html": "text/html", "app.js": "javascript", "style.css": "text/css"}


@dataclass
class FakeBackend:
    """Searches nothing; keeps quarantine entries and the arguments it was asked with."""

    entries: list[dict[str, Any]] = field(default_factory=list)
    asked: list[dict[str, Any]] = field(default_factory=list)

    def search(self, body: dict[str, Any]) -> dict[str, Any]:
        return {"hits": {"total": {"value": 0}, "hits": []}}

    def get_many(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        return {}

    def quarantined(self, *, job_id: str | None = None, stage: str | None = None,
                    size: int = 50) -> list[dict[str, Any]]:
        self.asked.append({"job_id": job_id, "stage": stage, "size": size})
        return [e for e in self.entries
                if job_id in (None, e["job_id"]) and stage in (None, e["stage"])][:size]


class SearchOnly:
    """A backend without a quarantine."""

    def search(self, body: dict[str, Any]) -> dict[str, Any]:
        return {"hits": {"total": {"value": 0}, "hits": []}}

    def get_many(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        return {}


def _client(backend: Any) -> TestClient:
    service = SearchService.from_config(backend, ROOT / "config")
    return TestClient(create_app(lambda: service))


@pytest.fixture(scope="module")
def backend() -> FakeBackend:
    return FakeBackend(entries=[
        {"job_id": "j1", "stage": "parse", "reason": "the record has no body text",
         "quarantined_at": "2024-03-02T00:00:00Z", "origin": {"location": "/seeds/a.jsonl:2"}},
        {"job_id": "j2", "stage": "index", "reason": "mapper_parsing_exception",
         "quarantined_at": "2024-03-01T00:00:00Z", "origin": {"location": "/seeds/b.jsonl:1"}},
    ])


@pytest.fixture(scope="module")
def client(backend: FakeBackend) -> TestClient:
    return _client(backend)


def test_the_page_and_its_assets_are_served(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert 'src="/static/app.js"' in page.text and 'href="/static/style.css"' in page.text
    for name, kind in ASSETS.items():
        asset = client.get(f"/static/{name}")
        assert asset.status_code == 200 and kind in asset.headers["content-type"], name
    assert client.get("/static/nope.js").status_code == 404
    assert "/" not in client.get("/openapi.json").json()["paths"]  # the page is no API route


def test_nothing_is_fetched_from_another_origin() -> None:
    html = (STATIC / "index.html").read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)=["'](https?:)?//""", html)
    assert "url(" not in (STATIC / "style.css").read_text(encoding="utf-8")
    script = (STATIC / "app.js").read_text(encoding="utf-8")
    # The only absolute URL is the SVG namespace, which names elements and loads nothing.
    assert set(re.findall(r"https?://[^\s\"'`]+", script)) == {"http://www.w3.org/2000/svg"}
    assert "innerHTML" not in script and "insertAdjacentHTML" not in script


def test_the_package_data_ships_the_page() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = pyproject["tool"]["setuptools"]["package-data"]["worker"]
    package = ROOT / "worker"
    shipped = {p for pattern in patterns for p in package.glob(pattern) if p.is_file()}
    assert {STATIC / name for name in ASSETS} <= shipped


def test_quarantine_lists_newest_first_by_job_and_stage(client: TestClient,
                                                        backend: FakeBackend) -> None:
    every = client.get("/quarantine").json()
    assert every["count"] == 2 and [e["job_id"] for e in every["entries"]] == ["j1", "j2"]
    assert backend.asked[-1] == {"job_id": None, "stage": None, "size": 50}
    one = client.get("/quarantine", params={"job": "j2", "stage": "INDEX", "size": 5}).json()
    assert one["job"] == "j2" and one["stage"] == "index" and one["count"] == 1
    assert backend.asked[-1] == {"job_id": "j2", "stage": "index", "size": 5}
    client.get("/quarantine", params={"job": " ", "stage": ""})  # empty form fields
    assert backend.asked[-1] == {"job_id": None, "stage": None, "size": 50}


@pytest.mark.parametrize(("query", "reason"), [
    ({"stage": "bogus"}, "unknown stage 'bogus'"),
    ({"size": "0"}, "size"),
    ({"size": "5000"}, "size"),
    ({"size": "many"}, "size"),
])
def test_quarantine_refuses_bad_parameters(client: TestClient, query: dict[str, str],
                                           reason: str) -> None:
    response = client.get("/quarantine", params=query)
    assert response.status_code == 400 and reason in response.json()["error"], response.json()
    if "stage" in query:
        assert response.json()["valid"] == list(QUARANTINE_STAGES)


def test_a_backend_without_quarantine_answers_404() -> None:
    response = _client(SearchOnly()).get("/quarantine")
    assert response.status_code == 404


def test_the_stage_list_names_every_stage_that_quarantines() -> None:
    """Every `quarantine.source/articles(..., stage="x")` in the workers is a valid filter."""
    used = set()
    for path in (ROOT / "worker").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("source", "articles")
                    and isinstance(node.func.value, ast.Attribute)
                    and node.func.value.attr == "quarantine"):
                used |= {k.value.value for k in node.keywords
                         if k.arg == "stage" and isinstance(k.value, ast.Constant)}
    assert used and used <= set(QUARANTINE_STAGES), used
