"""Fault injection for tests/integration/test_faults.py, loaded by the workers through
NEWSWORKER_WORKER_PLUGINS (never in a deployment).

While the file named by NEWSWORKER_TEST_POISON_FILE exists, an NLP batch holding an article
whose body contains POISON_MARKER kills its own process with SIGKILL, as a segfault in native
code or the OOM killer would; NEWSWORKER_TEST_ENRICH_DELAY_S (seconds per article) slows the
NLP stage down so that a test can strike mid-run, whatever the batch size.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from worker.enrich.annotate import Enricher
from worker.record import Article

POISON_MARKER = "POISON-PILL-ARTICLE"
_real_enrich_many = Enricher.enrich_many


def _enrich_many(self: Enricher, articles: list[Article]) -> list[Article | Exception]:
    poison_file = os.environ.get("NEWSWORKER_TEST_POISON_FILE")
    if poison_file and Path(poison_file).exists() and any(
        POISON_MARKER in article.body for article in articles
    ):
        os.kill(os.getpid(), signal.SIGKILL)
    delay = float(os.environ.get("NEWSWORKER_TEST_ENRICH_DELAY_S", "0"))
    if delay:
        time.sleep(delay * len(articles))
    return _real_enrich_many(self, articles)


Enricher.enrich_many = _enrich_many  # type: ignore[method-assign]
