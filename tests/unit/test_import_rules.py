"""The layout's rule, checked by walking every import (lazy ones inside functions too):

* pure code (stages, parsers, enrichment, document building) never reaches celery, redis,
  elasticsearch or httpx, not even through another worker module;
* adapters never import the Celery tasks;
* nothing imports ``worker.queue`` but the CLI, the dev stack that launches its processes,
  and ``worker.queue`` itself (Celery's entry point).
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

from worker.settings import PROJECT_ROOT

PACKAGE = PROJECT_ROOT / "worker"
SERVICE_CLIENTS = frozenset({"celery", "kombu", "redis", "elasticsearch", "httpx", "httpcore"})
PURE = (
    "worker.pipeline", "worker.enrich", "worker.sources", "worker.record", "worker.errors",
    "worker.feeds.config", "worker.feeds.poll", "worker.feeds.schedule", "worker.feeds.fulltext",
    "worker.index.documents", "worker.index.dedup", "worker.index.stats",
    "worker.index.layout", "worker.index.templates", "worker.search", "worker.index.writes",
    "worker.jobs.keys", "worker.jobs.summary", "worker.jobs.submit", "worker.kibana.objects",
    "worker.kibana.lens", "worker.kibana.saved_object", "worker.kibana.checks",
)
ADAPTERS = ("worker.index.store", "worker.jobs.ledger", "worker.feeds.registry", "worker.http",
            "worker.devstack", "worker.kibana.importer", "worker.api.server")
MAY_IMPORT_QUEUE = ("worker.cli", "worker.devstack", "worker.queue")


def module_name(path: Path) -> str:
    parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@functools.cache
def modules() -> dict[str, Path]:
    return {module_name(p): p for p in PACKAGE.rglob("*.py")}


@functools.cache
def direct_imports(name: str) -> frozenset[str]:
    """Every module ``name`` imports anywhere in its source."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(modules()[name].read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            # `from worker.x import y` may import the submodule worker.x.y
            found |= {f"{node.module}.{a.name}" for a in node.names
                      if f"{node.module}.{a.name}" in modules()}
    return frozenset(found)


def closure(name: str) -> set[str]:
    """Everything ``name`` imports, through worker modules (and their packages' __init__)."""
    seen, todo = set(), [name]
    while todo:
        current = todo.pop()
        for imported in direct_imports(current):
            parts = imported.split(".")
            for n in range(1, len(parts) + 1):
                prefix = ".".join(parts[:n])
                if prefix not in seen:
                    seen.add(prefix)
                    if prefix in modules():
                        todo.append(prefix)
    return seen


def within(name: str, roots: tuple[str, ...]) -> bool:
    return any(name == r or name.startswith(r + ".") for r in roots)


def test_pure_code_never_reaches_a_service_client() -> None:
    pure = [m for m in modules() if within(m, PURE)]
    assert len(pure) > 30  # the rule covers most of the package
    offenders = {m: sorted(i for i in closure(m) if i.split(".")[0] in SERVICE_CLIENTS)
                 for m in pure}
    assert {m: v for m, v in offenders.items() if v} == {}


def test_adapters_never_import_tasks() -> None:
    adapters = [m for m in modules() if within(m, ADAPTERS)]
    assert adapters
    assert {m for m in adapters if "worker.queue.tasks" in closure(m)} == set()


def test_only_the_cli_and_celery_entry_points_import_the_queue_package() -> None:
    importers = {m for m in modules() if not within(m, MAY_IMPORT_QUEUE)
                 and any(within(i, ("worker.queue",)) for i in direct_imports(m))}
    assert importers == set()


def test_no_module_is_much_over_500_lines() -> None:
    long = {m: n for m, p in modules().items()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 520}
    assert long == {}
