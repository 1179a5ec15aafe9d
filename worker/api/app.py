"""Routes over SearchService; input errors are 400 with the reason, never a stack trace.

The search page (`/`, assets under `/static/`) is plain HTML, CSS and JS over these routes.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Protocol, runtime_checkable

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from worker.errors import TransientError
from worker.search.request import MAX_PAGE, SearchError, SearchRequest
from worker.search.service import SearchService

Many = Annotated[list[str], Query()]
STATIC = Path(__file__).parent / "static"
# The page's own files only: nothing is fetched from another origin.
PAGE_POLICY = ("default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
               "form-action 'self'; frame-ancestors 'none'")
# The stages that quarantine input: parse, enrich, index (pipeline.stages), feed and
# fulltext (pipeline.feed_stages, queue.tasks); tests/unit/test_api_page.py keeps them in step.
QUARANTINE_STAGES = ("enrich", "feed", "fulltext", "index", "parse")
MAX_QUARANTINE = 1000


@runtime_checkable
class QuarantineSource(Protocol):
    """Reads quarantine entries newest first (ElasticStore is one)."""

    def quarantined(self, *, job_id: str | None = None, stage: str | None = None,
                    size: int = 50) -> list[dict[str, Any]]: ...


def quarantine_list(source: QuarantineSource, *, job: str | None = None,
                    stage: str | None = None, size: int = 50) -> dict[str, Any]:
    """Refused input with its reason, newest first; SearchError on an unknown stage."""
    job = (job or "").strip() or None
    stage = (stage or "").strip().lower() or None
    if stage is not None and stage not in QUARANTINE_STAGES:
        raise SearchError(f"unknown stage '{stage}'", list(QUARANTINE_STAGES))
    if not 1 <= size <= MAX_QUARANTINE:
        raise SearchError(f"size: must be from 1 to {MAX_QUARANTINE}")
    entries = source.quarantined(job_id=job, stage=stage, size=size)
    return {"job": job, "stage": stage, "count": len(entries), "entries": entries}


def search_request(
    q: str = "",
    entity: Annotated[list[str], Query(description="NAME, LABEL:NAME or an id")] = [],  # noqa: B006
    label: Many = [],  # noqa: B006
    lang: Many = [],  # noqa: B006
    origin: Many = [],  # noqa: B006
    feed: Many = [],  # noqa: B006
    publication: Many = [],  # noqa: B006
    site: Many = [],  # noqa: B006
    date_from: Annotated[str | None, Query(alias="from", description="YYYY-MM-DD")] = None,
    date_to: Annotated[str | None, Query(alias="to", description="YYYY-MM-DD")] = None,
    sort: str = "relevance",
    size: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 10,
    after: str | None = None,
) -> SearchRequest:
    """The query string as a SearchRequest (shared by every route that filters)."""
    return SearchRequest.of(
        q=q, entities=entity, labels=label, languages=lang, origins=origin, feeds=feed,
        publications=publication, sites=site, date_from=date_from, date_to=date_to,
        sort=sort, size=size, after=after)


Filters = Annotated[SearchRequest, Depends(search_request)]


def create_app(service: Callable[[], SearchService]) -> FastAPI:
    """The API over a service factory (built on first use, so the app imports cheaply)."""
    app = FastAPI(title="newsworker search", version="1",
                  description="Full-text and entity search over the ingested news articles.")

    @app.exception_handler(SearchError)
    def _bad_input(_: Request, exc: SearchError) -> JSONResponse:
        return JSONResponse({"error": str(exc), "valid": exc.valid}, status_code=400)

    @app.exception_handler(RequestValidationError)
    def _bad_params(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"] if p != "query")
        return JSONResponse({"error": f"{where}: {first['msg']}", "valid": []}, status_code=400)

    @app.exception_handler(TransientError)
    def _unavailable(_: Request, exc: TransientError) -> JSONResponse:
        return JSONResponse({"error": str(exc)}, status_code=503)

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        """The search page (plain HTML over this API)."""
        return FileResponse(STATIC / "index.html", headers={
            "Content-Security-Policy": PAGE_POLICY, "Cache-Control": "no-cache"})

    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/health")
    def health() -> dict[str, Any]:
        """The API answers; whether Elasticsearch does."""
        backend = service().backend
        ping = getattr(backend, "ping", None)
        return {"status": "ok", "elasticsearch": bool(ping()) if ping else None}

    @app.get("/search")
    def search(request: Filters) -> dict[str, Any]:
        """Hits with highlighted snippets; pass `next` back as `after` for the next page."""
        return service().search(request)

    @app.get("/facets")
    def facets(request: Filters, facet_size: Annotated[int, Query(ge=1, le=100)] = 10,
               interval: str = "day") -> dict[str, Any]:
        """Top entities per label, languages, origins, sites, publications, articles per day."""
        return service().facets(request, size=facet_size, interval=interval)

    @app.get("/entities/cooccurring")
    def cooccurring(entity: str, request: Filters,
                    facet_size: Annotated[int, Query(ge=1, le=100)] = 10,
                    significant: bool = False) -> dict[str, Any]:
        """Entities in the articles that mention `entity`: counts, or significant terms."""
        return service().cooccurring(entity, request, size=facet_size, significant=significant)

    @app.get("/articles/{doc_id}")
    def article(doc_id: str) -> dict[str, Any]:
        """One article as indexed."""
        doc = service().article(doc_id)
        if doc is None:
            raise HTTPException(404, f"no article with id {doc_id}")
        return doc

    @app.get("/articles/{doc_id}/similar")
    def similar(doc_id: str, size: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 10
                ) -> dict[str, Any]:
        """Articles most like this one (more_like_this over its text)."""
        found = service().similar(doc_id, size=size)
        if found is None:
            raise HTTPException(404, f"no article with id {doc_id}")
        return found

    @app.get("/quarantine")
    def quarantine(job: str | None = None, stage: str | None = None,
                   size: Annotated[int, Query(ge=1, le=MAX_QUARANTINE)] = 50) -> dict[str, Any]:
        """Refused input with its reason, newest first (of one job, of one stage)."""
        backend = service().backend
        if not isinstance(backend, QuarantineSource):
            raise HTTPException(404, "this backend keeps no quarantine")
        return quarantine_list(backend, job=job, stage=stage, size=size)

    return app
