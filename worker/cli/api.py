"""`api`: serve the HTTP search API (what `dev up` and compose run)."""

from __future__ import annotations

from typing import Annotated

import typer

from worker.settings import get_settings


def api(
    host: Annotated[str | None, typer.Option(help="Address (default NEWSWORKER_API_HOST).")] = None,
    port: Annotated[int | None, typer.Option(
        min=0, max=65535, help="Port (default NEWSWORKER_API_PORT).")] = None,
) -> None:
    """Serve the search API; OpenAPI docs at /docs."""
    from worker.api.server import serve  # uvicorn and FastAPI only for this command

    settings = get_settings()
    serve(host or settings.api_host, settings.api_port if port is None else port)
