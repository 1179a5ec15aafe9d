"""The process-wide Celery app (`celery -A worker.queue.app`), built from the settings.

Importing this module reads the settings; code that must not fix them yet (e.g. `dev up`,
before it has written the addresses it picked) uses celery_config.make_app instead.
"""

from __future__ import annotations

from worker.logs import configure_logging
from worker.queue import safety  # noqa: F401  (refuses unsafe settings at worker start)
from worker.queue.celery_config import make_app
from worker.settings import get_settings

configure_logging(get_settings().log_level)
app = make_app(get_settings())
