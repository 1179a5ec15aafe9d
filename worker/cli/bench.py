"""`bench`: the benchmark under bench/ (a checkout's folder, not part of the package)."""

from __future__ import annotations

import sys

import typer

from worker.cli.output import fail
from worker.settings import PROJECT_ROOT

HELP = ("Measure the pipeline beside raw spaCy and raw bulk on the same texts "
        "(options: --articles N, --json, --smoke, --nlp-processes N, --skip-e2e; "
        "see bench/run.py --help).")


def bench(ctx: typer.Context) -> None:
    """Measure the pipeline beside raw spaCy and raw bulk; options are bench/run.py's."""
    if not (PROJECT_ROOT / "bench" / "run.py").exists():
        raise fail("the benchmark lives in a checkout's bench/ folder; run it from a clone")
    sys.path.insert(0, str(PROJECT_ROOT))
    from bench.run import main as run_bench  # the checkout's bench/, found on the path above

    raise typer.Exit(run_bench(list(ctx.args)))
