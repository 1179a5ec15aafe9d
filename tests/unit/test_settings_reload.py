"""After `dev up` writes new addresses, the same process (the demo) must use them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import pathlib, sys
from worker.settings import get_settings
from worker.devstack.stack import _workers_answer
assert get_settings().redis_url == "redis://127.0.0.1:6379/0"
try:  # what `dev up` does while waiting for workers, before the CLI re-reads settings
    _workers_answer("redis://127.0.0.1:1/0")
except Exception:
    pass
state = pathlib.Path(sys.argv[1])
(state / "dev.env").write_text("NEWSWORKER_REDIS_URL=redis://127.0.0.1:7777/0\\n")
get_settings.cache_clear()
from worker.cli import services
print(services.outbox().app.conf.broker_url)
"""


def test_cli_outbox_built_after_dev_up_uses_the_new_addresses(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSWORKER_")}
    env["NEWSWORKER_STATE_DIR"] = str(tmp_path)
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path)], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "redis://127.0.0.1:7777/0"
