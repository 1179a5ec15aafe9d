"""The API process: the app over the configured Elasticsearch, served by uvicorn."""

from __future__ import annotations

import functools

import uvicorn
from fastapi import FastAPI

from worker.api.app import create_app
from worker.index.store import ElasticStore
from worker.search.service import SearchService
from worker.settings import get_settings


@functools.cache
def _service() -> SearchService:
    settings = get_settings()
    return SearchService.from_config(ElasticStore(settings), settings.config_dir)


def app() -> FastAPI:
    """The app uvicorn serves (`uvicorn --factory worker.api.server:app`)."""
    return create_app(_service)


def serve(host: str, port: int) -> None:
    """Serve until stopped; access lines go to the log like every other process's."""
    uvicorn.run(app(), host=host, port=port, log_level="info")
