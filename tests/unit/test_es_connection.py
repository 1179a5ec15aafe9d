"""Settings → Elasticsearch client: the nodes, the auth header a node receives, the CA file,
and one-line refusals of settings that contradict each other (before any request)."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from elasticsearch import ConnectionError as EsConnectionError

from worker.cli.service_errors import service_error_message
from worker.index.connection import (
    ElasticsearchSettingsError,
    client_options,
    elasticsearch_client,
)
from worker.settings import Settings


def settings(**values: Any) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def ca_file(tmp_path: Path) -> Path:
    path = tmp_path / "ca.crt"
    path.write_text("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n")
    return path


class _Recorder(BaseHTTPRequestHandler):
    """Answers `GET /` as an Elasticsearch 8 node does and keeps each Authorization header."""

    seen: ClassVar[list[str | None]] = []

    def do_GET(self) -> None:
        type(self).seen.append(self.headers.get("Authorization"))
        body = json.dumps({"version": {"number": "8.14.1"}, "tagline": "You Know, for Search"})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Elastic-Product", "Elasticsearch")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def node_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    _Recorder.seen = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def authorization_sent(url: str, **auth: Any) -> str | None:
    elasticsearch_client(settings(elasticsearch_url=url, **auth)).info()
    return _Recorder.seen[-1]


@pytest.mark.filterwarnings("ignore:Connecting to .* verify_certs=False is insecure")
def test_several_comma_separated_urls_become_the_client_nodes() -> None:
    s = settings(elasticsearch_url=" https://es1:9200, https://es2:9201 ,,",
                 elasticsearch_timeout_s=7.5, elasticsearch_verify_certs=False)
    options = client_options(s)
    assert options["hosts"] == ["https://es1:9200", "https://es2:9201"]
    assert (options["request_timeout"], options["verify_certs"]) == (7.5, False)
    client = elasticsearch_client(s, request_timeout=2)
    nodes = sorted((n.config.host, n.config.port) for n in client.transport.node_pool.all())
    assert nodes == [("es1", 9200), ("es2", 9201)]


def test_a_node_receives_the_basic_auth_or_api_key_header_configured(node_url: str) -> None:
    assert authorization_sent(node_url) is None
    basic = authorization_sent(node_url, elasticsearch_username="alice",
                               elasticsearch_password="pa:ss wörd")
    assert basic == "Basic " + base64.b64encode("alice:pa:ss wörd".encode()).decode()
    encoded = base64.b64encode(b"key-id:key-secret").decode()
    assert authorization_sent(node_url, elasticsearch_api_key=encoded) == f"ApiKey {encoded}"
    # The raw "id:key" pair works as well as the encoded form.
    assert authorization_sent(node_url, elasticsearch_api_key="key-id:key-secret") == (
        f"ApiKey {encoded}")
    # Empty variables (compose files often set them) count as unset.
    assert authorization_sent(node_url, elasticsearch_api_key="", elasticsearch_username="",
                              elasticsearch_password="") is None


def test_the_ca_file_goes_to_https_nodes_and_is_ignored_by_plain_http_ones(ca_file: Path) -> None:
    https = settings(elasticsearch_url="https://es1:9200,https://es2:9200",
                     elasticsearch_ca_certs=ca_file)
    assert client_options(https)["ca_certs"] == str(ca_file)
    plain = settings(elasticsearch_url="http://127.0.0.1:9200", elasticsearch_ca_certs=ca_file)
    assert "ca_certs" not in client_options(plain)
    elasticsearch_client(plain)  # the client refuses TLS options on http nodes: none passed


@pytest.mark.parametrize(("values", "message"), [
    ({"elasticsearch_api_key": "k", "elasticsearch_username": "alice",
      "elasticsearch_password": "pw"},
     "NEWSWORKER_ELASTICSEARCH_API_KEY and NEWSWORKER_ELASTICSEARCH_USERNAME are both set"),
    ({"elasticsearch_api_key": "k", "elasticsearch_password": "pw"},
     "NEWSWORKER_ELASTICSEARCH_API_KEY and NEWSWORKER_ELASTICSEARCH_PASSWORD are both set"),
    ({"elasticsearch_password": "pw"},
     "NEWSWORKER_ELASTICSEARCH_PASSWORD is set without NEWSWORKER_ELASTICSEARCH_USERNAME"),
    ({"elasticsearch_username": "alice"},
     "NEWSWORKER_ELASTICSEARCH_USERNAME is set without NEWSWORKER_ELASTICSEARCH_PASSWORD"),
    ({"elasticsearch_url": "https://alice:pw@es:9200", "elasticsearch_api_key": "k"},
     "NEWSWORKER_ELASTICSEARCH_URL carries a user and NEWSWORKER_ELASTICSEARCH_API_KEY"),
    ({"elasticsearch_url": "localhost:9200"},
     "NEWSWORKER_ELASTICSEARCH_URL: 'localhost:9200' is not an http:// or https:// URL"),
    ({"elasticsearch_url": "https://es1:9200,https://alice:pw@es2:port"},
     "NEWSWORKER_ELASTICSEARCH_URL: 'https://es2:port' is not an http:// or https:// URL"),
    ({"elasticsearch_url": " , "}, "NEWSWORKER_ELASTICSEARCH_URL is empty"),
])
def test_contradictory_or_incomplete_settings_are_one_line_errors(
    values: dict[str, Any], message: str
) -> None:
    with pytest.raises(ElasticsearchSettingsError) as refused:
        elasticsearch_client(settings(**values))
    text = str(refused.value)
    assert text.startswith(message) and "\n" not in text and "pw" not in text
    # The CLI prints it as it is instead of a traceback.
    assert service_error_message(refused.value, settings()) == text


def test_a_missing_ca_file_or_a_folder_or_mixed_schemes_are_refused(
    tmp_path: Path, ca_file: Path
) -> None:
    cases = {
        tmp_path / "nope.pem": f"NEWSWORKER_ELASTICSEARCH_CA_CERTS: {tmp_path}/nope.pem does "
                               "not exist",
        tmp_path: f"NEWSWORKER_ELASTICSEARCH_CA_CERTS: {tmp_path} is a folder, not a PEM file",
    }
    for path, message in cases.items():
        with pytest.raises(ElasticsearchSettingsError, match="^" + message + "$"):
            client_options(settings(elasticsearch_url="https://es:9200",
                                    elasticsearch_ca_certs=path))
    with pytest.raises(ElasticsearchSettingsError, match="mixes http:// and https://"):
        client_options(settings(elasticsearch_url="https://es1:9200,http://es2:9200",
                                elasticsearch_ca_certs=ca_file))


def test_an_unreachable_cluster_names_every_node_without_passwords() -> None:
    s = settings(elasticsearch_url="https://alice:s3cret@es1:9200,https://es2:9200")
    message = service_error_message(EsConnectionError("refused"), s) or ""
    assert message.startswith("cannot reach Elasticsearch at https://es1:9200, https://es2:9200 ")
    assert "s3cret" not in message


def test_bulk_bodies_are_ndjson_written_by_orjson() -> None:
    from datetime import UTC, datetime

    from worker.index.store import ElasticStore, OrjsonNdjsonSerializer

    store = ElasticStore(settings(elasticsearch_url="http://127.0.0.1:9"))
    serializer = store.client.transport.serializers.get_serializer("application/x-ndjson")
    assert isinstance(serializer, OrjsonNdjsonSerializer)
    when = datetime(2026, 12, 3, 14, 0, tzinfo=UTC)
    body = serializer.dumps([{"create": {"_id": "u1"}}, {"title": "Jakarta — banjir", "at": when}])
    assert body == ('{"create":{"_id":"u1"}}\n{"title":"Jakarta — banjir",'
                    '"at":"2026-12-03T14:00:00+00:00"}\n').encode()
    assert serializer.loads(body)[1]["title"] == "Jakarta — banjir"
