"""`kibana build | import`: the saved objects (data views, searches, Lens, dashboards)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from worker.cli.output import JsonOpt, console, fail, print_json
from worker.kibana.importer import Credentials, KibanaError, import_saved_objects
from worker.kibana.objects import NDJSON, saved_objects, to_ndjson
from worker.settings import PROJECT_ROOT, get_settings

app = typer.Typer(no_args_is_help=True, add_completion=False,
                  help="Kibana saved objects: build the import file, import it into a Kibana.")
DEFAULT_FILE = PROJECT_ROOT / NDJSON


@app.command("build")
def build(
    output: Annotated[Path, typer.Option(help="Where to write the import file.")] = DEFAULT_FILE,
    check: Annotated[bool, typer.Option(
        "--check", help="Write nothing; exit 1 if the file is not what the sources build.")]
        = False,
) -> None:
    """Write the saved objects of worker/kibana/objects.py as Kibana's ndjson import file."""
    objects = saved_objects()
    text = to_ndjson(objects)
    if check:
        current = output.read_text(encoding="utf-8") if output.exists() else None
        if current != text:
            raise fail(f"{output} is not what worker/kibana/objects.py builds; "
                       "run `newsworker kibana build`")
        console.print(f"{output} is up to date ({len(objects)} saved objects)")
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    console.print(f"wrote {len(objects)} saved objects to {output}")


@app.command("import")
def import_(
    url: Annotated[str, typer.Option(help="Kibana's address, with its base path if any.")],
    api_key: Annotated[str | None, typer.Option(
        envvar="KIBANA_API_KEY", help="An API key (the encoded form); or $KIBANA_API_KEY.")]
        = None,
    user: Annotated[str | None, typer.Option(help="A user, with --password.")] = None,
    password: Annotated[str | None, typer.Option(
        envvar="KIBANA_PASSWORD", help="The user's password; or $KIBANA_PASSWORD.")] = None,
    file: Annotated[Path | None, typer.Option(
        help="The ndjson to import (default: kibana/saved-objects.ndjson in the config folder).")]
        = None,
    wait: Annotated[float, typer.Option(
        help="Seconds to keep trying while Kibana is unreachable or starting.", min=0)] = 0.0,
    as_json: JsonOpt = False,
) -> None:
    """Import the saved objects into a running Kibana (overwrite=true: safe to repeat)."""
    if api_key and user:
        raise fail("give --api-key or --user/--password, not both")
    if user and not password:
        raise fail("--user needs --password (or $KIBANA_PASSWORD)")
    if not url.startswith(("http://", "https://")):
        raise fail(f"--url {url} is not an http(s) URL")
    file = file or get_settings().config_dir / "kibana" / "saved-objects.ndjson"
    try:
        ndjson = file.read_bytes()
    except OSError as exc:
        raise fail(f"cannot read {file}: {exc.strerror}") from exc
    name = file.name if file.suffix == ".ndjson" else f"{file.name}.ndjson"  # Kibana insists
    try:
        report = import_saved_objects(url, ndjson, filename=name, wait_s=wait,
                                      credentials=Credentials(api_key, user, password))
    except KibanaError as exc:
        raise fail(str(exc)) from exc
    if as_json:
        print_json(report.as_dict())
    else:
        console.print(f"imported {report.imported} of {report.sent} saved objects into "
                      f"Kibana {report.kibana_version or '(version not shown)'} at {report.url}")
