"""Routes over SearchService; input errors are 400 with the reason, never a stack trace."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from worker.errors import TransientError
from worker.search.request import MAX_PAGE, SearchError, SearchRequest
from worker.search.service import SearchService

Many = Annotated[list[str], Query()]


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

    return app
