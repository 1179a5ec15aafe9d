"""The HTTP search API for programs (FastAPI; OpenAPI at /docs and /openapi.json)."""
