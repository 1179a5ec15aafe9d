"""The command line: `python -m worker …` or `newsworker …`. Every data command has --json."""

from __future__ import annotations

import sys

import typer

from worker.cli import (
    api,
    bench,
    demo,
    dev,
    feeds,
    index,
    ingest,
    kibana,
    models,
    quarantine,
    search,
)
from worker.cli.output import fail
from worker.cli.service_errors import service_error_message
from worker.logs import configure_logging
from worker.settings import get_settings

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
app.add_typer(dev.app, name="dev")
app.add_typer(feeds.app, name="feeds")
app.add_typer(index.app, name="index")
app.add_typer(kibana.app, name="kibana")
app.add_typer(quarantine.app, name="quarantine")
app.command()(ingest.ingest)
app.command()(ingest.job)
app.command()(models.annotate)
app.command("train-ner")(models.train_ner)
app.command()(models.reenrich)
app.command()(search.search)
app.command()(search.stats)
for _command in (search.facets, search.cooccur, search.similar, search.show):
    app.command()(_command)
app.command()(demo.demo)
app.command()(api.api)
app.command(help=bench.HELP, context_settings={
    "allow_extra_args": True, "ignore_unknown_options": True, "help_option_names": []})(
    bench.bench)


def main() -> None:
    """Console-script entry point; a service that cannot be reached is one line, exit 1."""
    configure_logging(get_settings().log_level)
    try:
        app()
    except Exception as exc:
        message = service_error_message(exc, get_settings())
        if message is None:
            raise
        fail(message)
        sys.exit(1)
