"""Bad input on the command line is a one-line error and a non-zero exit, never a traceback
(no services run here: every refusal comes before one would be reached)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import redis
from elasticsearch import ConnectionError as EsConnectionError
from typer.testing import CliRunner

from worker import cli
from worker.cli.ingest import exit_code
from worker.cli.service_errors import service_error_message, without_password
from worker.errors import TransientError
from worker.settings import PROJECT_ROOT, Settings

SETTINGS = Settings(_env_file=None, redis_url="redis://:secret@127.0.0.1:1/0")  # type: ignore[call-arg]


def run(*args: str, stdin: bytes | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli.app, list(args), input=stdin)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def one_error_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), output
    return lines[0]


def test_annotate_refuses_missing_files_folders_and_binary_data(tmp_path: Path) -> None:
    code, out = run("annotate", str(tmp_path / "missing.txt"))
    assert code == 1 and "no such file" in one_error_line(out)
    code, out = run("annotate", str(tmp_path))
    assert code == 1 and "is a folder" in one_error_line(out)
    (tmp_path / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64))
    code, out = run("annotate", str(tmp_path / "image.png"))
    assert code == 1 and "is not text" in one_error_line(out)
    code, out = run("annotate", "-", stdin=b"\x00\x01\x02 binary")
    assert code == 1 and "stdin is not text" in one_error_line(out)


def test_annotate_refuses_an_unknown_language_with_the_valid_ones(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Some text.")
    code, out = run("annotate", "--lang", "xx", str(tmp_path / "a.txt"))
    line = one_error_line(out)
    assert code == 1 and "unknown language 'xx'" in line
    valid = line.split("(valid: ", 1)[1].rstrip(")").split(", ")
    assert {"en", "fr", "es", "id"} <= set(valid)  # with a model
    assert {"de", "ms", "ja"} <= set(valid)  # known to the detector only


def test_annotate_reads_latin1_like_a_seed_file(tmp_path: Path) -> None:
    text = ("Le président Emmanuel Macron a reçu à l'Élysée le chancelier allemand, "
            "a annoncé la présidence française à Paris.")
    (tmp_path / "latin1.txt").write_bytes(text.encode("latin-1"))
    code, out = run("annotate", "--lang", "FR", "--json", str(tmp_path / "latin1.txt"))
    assert code == 0, out
    data = json.loads(out)
    assert data["language"] == "fr" and data["entities"], data
    assert all(text[m["start"]:m["end"]] == m["text"] for m in data["entities"])
    assert any("Macron" in m["text"] for m in data["entities"])


def test_ingest_refuses_empty_and_root_paths_and_bad_urls_before_any_service() -> None:
    for args, reason in ((["ingest", ""], "empty path"), (["ingest", "--dry-run", ""],
                                                          "empty path"),
                         (["ingest", "/"], "filesystem root"),
                         (["ingest", "http://"], "not a feed URL")):
        code, out = run(*args)
        assert code == 1 and reason in one_error_line(out), (args, out)


def test_ingest_exit_code_says_what_went_wrong() -> None:
    assert exit_code({"done": True, "errors": []}, wait=True) == 0
    assert exit_code({"done": True, "errors": ["feed refused"]}, wait=True) == 1
    assert exit_code({"done": False, "errors": ["feed refused"]}, wait=True) == 2
    assert exit_code({"done": False, "errors": []}, wait=False) == 0


def test_unreachable_services_are_one_line_without_secrets() -> None:
    message = service_error_message(redis.ConnectionError("Error 111 connecting"), SETTINGS)
    assert message and message.startswith("cannot reach Redis at redis://127.0.0.1:1/0 ")
    assert "secret" not in message and "dev up" in message
    try:
        try:
            raise EsConnectionError("refused")
        except EsConnectionError as cause:
            raise TransientError("elasticsearch unreachable") from cause
    except TransientError as exc:
        assert (service_error_message(exc, SETTINGS) or "").startswith(
            "cannot reach Elasticsearch at http://127.0.0.1:9200")
    assert service_error_message(ValueError("a bug"), SETTINGS) is None
    assert without_password("https://u:p@es.example:9243/x") == "https://es.example:9243/x"


def test_a_command_without_its_stack_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSWORKER_")}
    env |= {"NEWSWORKER_STATE_DIR": str(tmp_path), "NEWSWORKER_REDIS_URL": "redis://127.0.0.1:1/0",
            "NEWSWORKER_ELASTICSEARCH_URL": "http://127.0.0.1:1"}
    for args, service in ((["job", "abc"], "Redis"), (["quarantine"], "Elasticsearch")):
        proc = subprocess.run([sys.executable, "-m", "worker", *args], cwd=PROJECT_ROOT,
                              env=env, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 1, proc.stderr
        assert f"cannot reach {service}" in one_error_line(proc.stderr)
