"""The Kibana saved objects: the committed file is what the sources build, in Kibana 8.14's
import format, with references that resolve and fields the shipped templates map; and
`kibana import` against a fake Kibana (no Kibana can run here: the one place a fake serves).

The same field checks against the live mapping are tests/integration/test_kibana_objects.py.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import email.parser
import email.policy
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from typer.testing import CliRunner

from tests.unit.test_import_rules import SERVICE_CLIENTS, closure
from worker import cli
from worker.kibana import importer
from worker.kibana.checks import (
    field_problems,
    field_uses,
    flatten_mapping,
    format_problems,
    kql_fields,
    reference_problems,
)
from worker.kibana.objects import NDJSON, saved_objects, to_ndjson
from worker.settings import PROJECT_ROOT

FILE = PROJECT_ROOT / NDJSON
TEMPLATES = PROJECT_ROOT / "config" / "elasticsearch"
Json = dict[str, Any]


def _template_fields(name: str) -> dict[str, Any]:
    body = json.loads((TEMPLATES / f"{name}-template.json").read_text(encoding="utf-8"))
    return flatten_mapping(body["template"]["mappings"])


MAPPINGS = {"news-articles": {"articles template": _template_fields("articles")},
            "news-quarantine": {"quarantine template": _template_fields("quarantine")}}


def _objects() -> list[Json]:
    return [json.loads(line) for line in FILE.read_text(encoding="utf-8").splitlines()]


def _by_id(objects: list[Json], id_: str) -> Json:
    return next(o for o in objects if o["id"] == id_)


# --- the file -------------------------------------------------------------------------------


def test_the_committed_file_is_what_the_sources_build() -> None:
    assert FILE.read_text(encoding="utf-8") == to_ndjson(saved_objects()), \
        "run `python -m worker kibana build` and commit config/kibana/saved-objects.ndjson"


def test_build_writes_the_file_and_check_tells_when_it_is_stale(tmp_path: Path) -> None:
    out = tmp_path / "kibana" / "objects.ndjson"
    runner = CliRunner()
    result = runner.invoke(cli.app, ["kibana", "build", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8") == FILE.read_text(encoding="utf-8")
    assert runner.invoke(cli.app, ["kibana", "build", "--output", str(out), "--check"]) \
        .exit_code == 0
    out.write_text(out.read_text(encoding="utf-8").replace("News: coverage", "Coverage"))
    stale = runner.invoke(cli.app, ["kibana", "build", "--output", str(out), "--check"])
    assert stale.exit_code == 1 and "kibana build" in stale.output
    assert "Coverage" in out.read_text(encoding="utf-8")  # --check writes nothing


def test_every_line_has_kibana_8_14_import_format() -> None:
    text = FILE.read_text(encoding="utf-8")
    assert format_problems(text) == []
    # As Kibana 8.14 exports them: core 8.8.0 for every type; per type the newest migration
    # (index-pattern 8.0.0, lens 8.9.0) or model version (search 2, dashboard 2 → 10.2.0).
    versions = {"index-pattern": "8.0.0", "search": "10.2.0", "lens": "8.9.0",
                "dashboard": "10.2.0"}
    for obj in _objects():
        assert set(obj) == {"type", "id", "attributes", "references", "coreMigrationVersion",
                            "typeMigrationVersion", "managed"}
        assert obj["coreMigrationVersion"] == "8.8.0"
        assert obj["typeMigrationVersion"] == versions[obj["type"]], obj["id"]
        assert obj["managed"] is False


def test_ids_are_stable() -> None:
    # Renaming an id makes the next import add a copy beside the old object: change on purpose.
    expected = {
        "index-pattern": {"newsworker-articles", "newsworker-quarantine"},
        "search": {"newsworker-articles-by-entity", "newsworker-articles-without-entities",
                   "newsworker-articles-duplicates", "newsworker-quarantine-reasons"},
        "dashboard": {"newsworker-dashboard-entities", "newsworker-dashboard-coverage",
                      "newsworker-dashboard-pipeline"},
    }
    found: dict[str, set[str]] = {}
    for obj in _objects():
        found.setdefault(obj["type"], set()).add(obj["id"])
    assert {t: ids for t, ids in found.items() if t != "lens"} == expected
    assert len(found["lens"]) == 25 and all(i.startswith("newsworker-lens-") for i in found["lens"])
    assert len([o["id"] for o in _objects()]) == len({o["id"] for o in _objects()})


def test_every_reference_resolves_inside_the_file() -> None:
    objects = _objects()
    assert reference_problems(objects) == []
    ids = {(o["type"], o["id"]) for o in objects}
    for obj in objects:
        for ref in obj["references"]:
            assert (ref["type"], ref["id"]) in ids, (obj["id"], ref)
    for board in (o for o in objects if o["type"] == "dashboard"):
        panels = json.loads(board["attributes"]["panelsJSON"])
        refs = {r["name"]: r for r in board["references"]}
        shown = [refs[f"{p['panelIndex']}:{p['panelRefName']}"] for p in panels]
        assert {r["type"] for r in shown} <= {"lens", "search"}
        assert all((r["type"], r["id"]) in ids for r in shown)


def test_every_field_is_in_the_shipped_templates_with_a_type_fit_for_its_use() -> None:
    objects = _objects()
    assert field_problems(objects, MAPPINGS) == []
    uses = {(u.field, u.use) for u in field_uses(objects)}
    # The checks did look: time fields, entity terms, quarantine terms, KQL fields.
    assert {("published_or_fetched_at", "time"), ("quarantined_at", "time"),
            ("entity_names.PER", "aggregate"), ("entity_names.LOC", "aggregate"),
            ("reason_code", "aggregate"), ("stage", "aggregate"), ("version", "query"),
            ("near_duplicate_of", "query"), ("published_or_fetched_at", "date_histogram"),
            ("title", "display")} <= uses


# --- what ships -----------------------------------------------------------------------------


def test_data_views_read_the_alias_and_the_quarantine_on_their_time_fields() -> None:
    objects = _objects()
    articles, quarantine = _by_id(objects, "newsworker-articles"), \
        _by_id(objects, "newsworker-quarantine")
    assert articles["attributes"]["title"] == "news-articles"  # the read alias, every version
    assert articles["attributes"]["timeFieldName"] == "published_or_fetched_at"
    assert quarantine["attributes"]["title"] == "news-quarantine"
    assert quarantine["attributes"]["timeFieldName"] == "quarantined_at"


def test_the_entity_explorer_crosses_organisations_with_chosen_places() -> None:
    objects = _objects()
    board = _by_id(objects, "newsworker-dashboard-entities")
    controls = json.loads(board["attributes"]["controlGroupInput"]["panelsJSON"])
    assert "entity_names.LOC" in {c["explicitInput"]["fieldName"] for c in controls.values()}
    table = _by_id(objects, "newsworker-lens-orgs-by-place")
    layer = _layer(table)
    assert [layer["columns"][c].get("sourceField") for c in layer["columnOrder"]] == \
        ["entity_names.LOC", "entity_names.ORG", "___records___"]
    over_time = _by_id(objects, "newsworker-lens-people-over-time")["attributes"]["state"]
    ops = {c["operationType"]: c.get("sourceField") for c in
           over_time["datasourceStates"]["formBased"]["layers"]["layer"]["columns"].values()}
    assert ops["date_histogram"] == "published_or_fetched_at"
    assert ops["terms"] == "entity_names.PER"
    for label in ("PER", "ORG", "LOC", "EVENT", "MISC"):
        assert _by_id(objects, f"newsworker-lens-top-{label.lower()}")


def test_the_pure_kibana_modules_reach_no_service_client() -> None:
    for module in ("worker.kibana.objects", "worker.kibana.lens", "worker.kibana.saved_object",
                   "worker.kibana.checks"):
        assert {i for i in closure(module) if i.split(".")[0] in SERVICE_CLIENTS} == set()


# --- the checks catch what they should ------------------------------------------------------


def _break(id_: str, change: Any) -> list[Json]:
    objects = copy.deepcopy(_objects())
    change(_by_id(objects, id_))
    return objects


def _layer(obj: Json) -> Json:
    layers: Json = obj["attributes"]["state"]["datasourceStates"]["formBased"]["layers"]
    return layers["layer"]


def test_field_checks_refuse_text_aggregations_unknown_fields_and_non_date_times() -> None:
    def on_text(o: Json) -> None:
        _layer(o)["columns"]["value"]["sourceField"] = "title"

    def unknown(o: Json) -> None:
        _layer(o)["columns"]["value"]["sourceField"] = "entity_names.PERSON"

    def bad_time(o: Json) -> None:
        o["attributes"]["timeFieldName"] = "language"

    [problem] = field_problems(_break("newsworker-lens-top-per", on_text), MAPPINGS)
    assert "title is text" in problem and "aggregate" in problem
    [problem] = field_problems(_break("newsworker-lens-top-per", unknown), MAPPINGS)
    assert "entity_names.PERSON (aggregate) is not mapped" in problem
    [problem] = field_problems(_break("newsworker-articles", bad_time), MAPPINGS)
    assert "language is keyword" in problem and "a date" in problem
    assert kql_fields('not entity_keys : * and title : "a: b" or version >= 2') == \
        ["entity_keys", "title", "version"]


def test_reference_and_format_checks_refuse_dangling_and_unversioned_objects() -> None:
    def dangling(o: Json) -> None:
        o["references"][0]["id"] = "newsworker-lens-gone"

    problems = reference_problems(_break("newsworker-dashboard-entities", dangling))
    assert any("newsworker-lens-gone, not in the file" in p for p in problems)
    lines = FILE.read_text(encoding="utf-8").splitlines(keepends=True)
    first = json.loads(lines[0])
    first["typeMigrationVersion"] = "10.1.0"
    board = json.loads(lines[-1])
    board["attributes"]["hidePanelTitles"] = True
    text = "".join([json.dumps(first) + "\n", *lines[1:], lines[1], json.dumps(board) + "\n"])
    problems = format_problems(text)
    assert any("typeMigrationVersion '10.1.0'" in p for p in problems)
    assert any("['hidePanelTitles'] are not in the dashboard schema" in p for p in problems)
    assert any(p.startswith(f"id {json.loads(lines[1])['id']} appears 2 times")
               for p in problems)


# --- `kibana import` against a fake Kibana --------------------------------------------------


@dataclass
class FakeKibana:
    """Kibana's /api/status and /api/saved_objects/_import on 127.0.0.1, as far as the import
    needs them: the import is refused without ``kbn-xsrf`` or ``overwrite=true``, or without a
    multipart ``file`` named *.ndjson; ``answer`` picks the import's answer."""

    version: str = "8.14.1"
    answer: str = "success"  # success | errors
    auth: str | None = None  # the Authorization header Kibana accepts (None: no security)
    unavailable: int = 0  # /api/status answers 503 this many times first
    imports: list[Json] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def respond(self, handler: BaseHTTPRequestHandler) -> tuple[int, Json]:
        if self.auth and handler.headers.get("Authorization") != self.auth:
            return 401, {"statusCode": 401, "error": "Unauthorized", "message": "Unauthorized"}
        path = urlsplit(handler.path)
        if handler.command == "GET" and path.path == "/api/status":
            if self.unavailable:
                self.unavailable -= 1
                return 503, {"status": {"overall": {"level": "unavailable"}}}
            return 200, {"name": "kibana", "version": {"number": self.version},
                         "status": {"overall": {"level": "available",
                                                "summary": "All services are available"}}}
        if handler.command != "POST" or path.path != "/api/saved_objects/_import":
            return 404, {"statusCode": 404, "error": "Not Found"}
        if handler.headers.get("kbn-xsrf") is None:
            return 400, {"statusCode": 400, "error": "Bad Request",
                         "message": "Request must contain a kbn-xsrf header."}
        if parse_qs(path.query).get("overwrite") != ["true"]:
            return 400, {"statusCode": 400, "message": "this fake wants overwrite=true"}
        body = handler.rfile.read(int(handler.headers["Content-Length"]))
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + handler.headers["Content-Type"].encode() + b"\r\n\r\n" + body)
        parts = {p.get_param("name", header="content-disposition"): p
                 for p in message.iter_parts()} if message.is_multipart() else {}
        part = parts.get("file")
        if part is None or not str(part.get_filename()).endswith(".ndjson"):
            return 415, {"statusCode": 415, "message": "Unsupported Media Type"}
        content = part.get_payload(decode=True)
        assert isinstance(content, bytes)
        objects = [json.loads(line) for line in content.splitlines() if line.strip()]
        self.imports.append({"xsrf": handler.headers["kbn-xsrf"], "file": content,
                             "filename": part.get_filename()})
        if self.answer == "errors":
            return 200, {"success": False, "successCount": len(objects) - 1, "warnings": [],
                         "errors": [{"id": "newsworker-lens-top-per", "type": "lens",
                                     "title": "Top people (PER)",
                                     "error": {"type": "missing_references", "references": [
                                         {"type": "index-pattern",
                                          "id": "newsworker-articles"}]}}]}
        return 200, {"success": True, "successCount": len(objects), "warnings": [],
                     "successResults": [{"type": o["type"], "id": o["id"]} for o in objects]}


@contextlib.contextmanager
def serve_fake_kibana() -> Iterator[FakeKibana]:
    """A FakeKibana listening on a free port of 127.0.0.1 (answering compact JSON, as Kibana)."""
    fake = FakeKibana()

    class Handler(BaseHTTPRequestHandler):
        def _any(self) -> None:
            code, body = fake.respond(self)
            data = json.dumps(body, separators=(",", ":")).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _any

        def log_message(self, format: str, *args: Any) -> None:
            pass

    fake.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=fake.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        fake.server.shutdown()
        fake.server.server_close()


@pytest.fixture
def kibana() -> Iterator[FakeKibana]:
    with serve_fake_kibana() as fake:
        yield fake


def _import(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli.app, ["kibana", "import", *args],
                                env={"KIBANA_API_KEY": None, "KIBANA_PASSWORD": None})
    return result.exit_code, " ".join(result.output.split())


def test_import_sends_the_file_with_overwrite_and_xsrf(kibana: FakeKibana) -> None:
    code, out = _import("--url", kibana.url)
    assert code == 0, out
    assert "imported 34 of 34 saved objects into Kibana 8.14.1" in out
    [sent] = kibana.imports
    assert sent["file"] == FILE.read_bytes() and sent["xsrf"] == "true"
    assert sent["filename"] == "saved-objects.ndjson"
    code, out = _import("--url", kibana.url + "/", "--json")  # a second import overwrites
    assert code == 0 and json.loads(out)["imported"] == 34 and len(kibana.imports) == 2


def test_import_authenticates_with_an_api_key_or_a_user(kibana: FakeKibana) -> None:
    kibana.auth = "ApiKey c2VjcmV0"
    assert _import("--url", kibana.url, "--api-key", "c2VjcmV0")[0] == 0
    kibana.auth = "Basic " + base64.b64encode(b"elastic:changeme").decode()
    assert _import("--url", kibana.url, "--user", "elastic", "--password", "changeme")[0] == 0
    code, out = _import("--url", kibana.url, "--user", "elastic", "--password", "wrong")
    assert code == 1
    assert f"kibana at {kibana.url} refused the credentials (401 Unauthorized)" in out
    assert _import("--url", kibana.url, "--api-key", "k", "--user", "u")[0] == 1
    assert len(kibana.imports) == 2


def test_import_reports_each_refused_object(kibana: FakeKibana) -> None:
    kibana.answer = "errors"
    code, out = _import("--url", kibana.url)
    assert code == 1
    assert "kibana refused 1 of 34 saved objects: lens/newsworker-lens-top-per " \
           "(missing_references: index-pattern/newsworker-articles)" in out


def test_import_refuses_a_kibana_older_than_8_14(kibana: FakeKibana) -> None:
    kibana.version = "8.12.2"
    code, out = _import("--url", kibana.url)
    assert code == 1 and "is 8.12.2" in out and "need Kibana 8.14 or later" in out
    assert kibana.imports == []


def test_import_waits_for_a_starting_kibana_and_names_an_unreachable_one(
        kibana: FakeKibana, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importer, "POLL_S", 0.01)
    kibana.unavailable = 2
    code, out = _import("--url", kibana.url, "--wait", "10")
    assert code == 0, out
    kibana.unavailable = 1
    code, out = _import("--url", kibana.url)
    assert code == 1 and "is not ready (status 503, overall level unavailable)" in out
    assert "--wait SECONDS" in out
    closed = kibana.url
    assert kibana.server is not None
    kibana.server.shutdown()
    kibana.server.server_close()
    code, out = _import("--url", closed)
    assert code == 1 and f"kibana at {closed} is unreachable (ConnectError" in out


def test_import_needs_a_readable_file(tmp_path: Path) -> None:
    code, out = _import("--url", "http://127.0.0.1:9", "--file", str(tmp_path / "none.ndjson"))
    assert code == 1 and "cannot read" in out
