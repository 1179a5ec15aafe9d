"""Log levels and escape codes: routine events at info, lines on stderr at their own level
(also under Celery's stdout redirect), and no ANSI escapes where the output is no terminal."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import structlog

from tests.unit.fakes import FakeEnricher, FakeLedger, FakeOutbox, FakeStore
from worker.cli.output import SafeConsole, entity_table, without_controls
from worker.jobs.keys import envelopes_for
from worker.pipeline.stages import Stages
from worker.record import Article, Origin
from worker.settings import PROJECT_ROOT, Settings

ESC = "\x1b["
HOSTILE = "Red \x1b[31malert\x1b[0m \x9b2J"


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    """``code`` in a fresh interpreter, stdout and stderr pipes (no terminal), no colour asked."""
    env = {k: v for k, v in os.environ.items()
           if k not in {"FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"}
           and not k.startswith("NEWSWORKER_")}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=PROJECT_ROOT,
                          env=env, capture_output=True, text=True, timeout=120, check=True)


def test_log_lines_go_to_stderr_at_their_level_without_escapes() -> None:
    proc = run_python(f"""
        import structlog
        from worker.logs import configure_logging
        configure_logging("INFO")
        log = structlog.get_logger("worker.pipeline.stages")
        log.debug("hidden")
        log.info("indexed", written=3, title={HOSTILE!r})
        log.warning("retrying", task="x")
    """)
    assert proc.stdout == ""  # stdout is the CLI's (--json)
    lines = proc.stderr.splitlines()
    assert [line.split(" event=")[0].split(" level=")[1] for line in lines] == [
        "'info'", "'warning'"]
    assert "event='indexed' written=3" in lines[0]
    assert ESC not in proc.stderr and "\x9b" not in proc.stderr
    assert r"\x1b[31m" in lines[0]  # the data is kept, escaped


def test_under_celerys_stdout_redirect_info_stays_info() -> None:
    # A Celery worker turns whatever is printed to stdout into WARNING records: the routine
    # "indexed" line used to come out as "WARNING/ForkPoolWorker-1] ... level='info'".
    proc = run_python("""
        import structlog
        from celery import Celery
        from worker.logs import configure_logging
        configure_logging("INFO")
        app = Celery("t")
        app.conf.worker_hijack_root_logger = False
        app.log.setup(loglevel="INFO", redirect_stdouts=True, redirect_level="WARNING")
        structlog.get_logger("worker.pipeline.stages").info("indexed", written=1)
    """)
    out = proc.stdout + proc.stderr
    assert "level='info' event='indexed' written=1" in out
    assert "WARNING" not in out


def test_indexed_is_a_routine_info_event() -> None:
    outbox = FakeOutbox()
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    stages = Stages(settings, FakeStore(), FakeLedger(), outbox, FakeEnricher())
    article = Article(id="u1", origin=Origin(kind="seed", location="/s/a.txt", job_id="j"),
                      url="https://example.org/1", title="Harbour",
                      body="The harbour of Split reopened on Monday after the storm.",
                      ner_status="ok")
    with structlog.testing.capture_logs() as logs:
        stages.handle_index(envelopes_for("j", "j:0", [article]))
    indexed = [e for e in logs if e["event"] == "indexed"]
    assert [e["log_level"] for e in indexed] == ["info"]
    assert not [e for e in logs if e["log_level"] in {"warning", "error"}]


def test_console_without_a_terminal_prints_no_escape_codes() -> None:
    out = io.StringIO()  # not a terminal, as a pipe or a file is
    console = SafeConsole(file=out, width=100)
    console.print(f"[bold]job[/bold] [red]error:[/red] {HOSTILE}")
    console.rule(f"[bold]{HOSTILE}")
    console.print(entity_table([("PER", HOSTILE, 2, [HOSTILE])]))
    text = out.getvalue()
    assert "job error: Red [31malert[0m 2J" in text
    assert ESC not in text and "\x9b" not in text


def test_article_text_cannot_inject_escapes_even_on_a_terminal() -> None:
    out = io.StringIO()
    SafeConsole(file=out, force_terminal=True, width=100).print(f"[bold]{HOSTILE}[/bold]")
    text = out.getvalue()
    assert ESC in text  # rich's own bold
    assert "\x1b[31m" not in text and "\x9b" not in text
    assert without_controls("a\tb\nc\x07\x00\x7f") == "a\tb\nc"


def test_cli_piped_prints_no_escape_codes(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items()
           if k not in {"FORCE_COLOR", "TTY_COMPATIBLE"} and not k.startswith("NEWSWORKER_")}
    env["NEWSWORKER_STATE_DIR"] = str(tmp_path)  # no stack: nothing to reach
    runs = [subprocess.run([sys.executable, "-m", "worker", *args], cwd=PROJECT_ROOT, env=env,
                           capture_output=True, text=True, timeout=120)
            for args in (["ingest", "--dry-run", str(tmp_path / "missing.txt")],
                         ["dev", "status"], ["--help"])]
    assert [r.returncode for r in runs] == [1, 0, 0]
    assert "error: no such file or folder" in runs[0].stderr  # [red]error:[/red] uncoloured
    assert "nothing recorded" in runs[1].stdout and "Usage" in runs[2].stdout
    assert not [r.args for r in runs if ESC in r.stdout + r.stderr]
