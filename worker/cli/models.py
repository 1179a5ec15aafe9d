"""`annotate`, `reenrich` and `train-ner`: the NLP models, on text, on the index, and trained."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from worker.cli import services
from worker.cli.output import JsonOpt, console, entity_table, fail, print_json, print_summary
from worker.enrich.annotate import Enricher
from worker.enrich.pipelines import language_config
from worker.errors import NotTextError
from worker.jobs.reenrich import stale_articles
from worker.jobs.submit import start_reenrich
from worker.settings import PROJECT_ROOT, get_settings
from worker.sources.decoding import decode_text


def annotate(
    file: Annotated[str, typer.Argument(help="Text file, or - for stdin.")] = "-",
    lang: Annotated[str | None, typer.Option("--lang", help="Skip detection.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Language and entities of raw text (offsets index into the text as given, after
    decoding it as seed files are: UTF-8, else the detected encoding)."""
    settings = get_settings()
    if lang is not None:
        lang = checked_language(lang, settings.config_dir)
    text = read_text(file, settings.max_seed_bytes)
    result = Enricher.from_settings(settings).annotate(text, lang)
    data = {
        "language": result.language.language,
        "language_confidence": result.language.confidence,
        "language_reliable": result.language.reliable,
        "ner_status": result.ner_status,
        "model": "/".join(result.model) if result.model else None,
        "chars_analysed": result.chars_analysed,
        "entities": [m.model_dump() for m in result.mentions],
        "merged": [e.model_dump() for e in result.entities],
    }
    if as_json:
        print_json(data)
        return
    console.print(f"language: {data['language']} ({data['language_confidence']}), "
                  f"ner: {data['ner_status']}")
    console.print(entity_table([(e.label, e.name, e.count, e.surface_forms)
                                for e in result.entities]))


def annotation_languages(config_dir: Path) -> list[str]:
    """Languages annotate takes: those with a model and those the detector knows."""
    config = language_config(config_dir)
    return sorted(set(config.get("languages") or {}) | set(config.get("detection_languages") or ()))


def checked_language(value: str, config_dir: Path) -> str:
    """``--lang`` normalised, or a one-line refusal with the valid codes."""
    code = value.strip().lower()
    valid = annotation_languages(config_dir)
    if code not in valid:
        raise fail(f"unknown language {value!r} (valid: {', '.join(valid)})")
    return code


def read_text(file: str, max_bytes: int) -> str:
    """The text of FILE (or stdin for '-'); whatever is wrong with it is a one-line error."""
    name = "stdin" if file == "-" else file
    if file == "-":
        raw = sys.stdin.buffer.read(max_bytes + 1)
    else:
        path = Path(file)
        if path.is_dir():
            raise fail(f"{file} is a folder; annotate reads one text file (or - for stdin)")
        try:
            with path.open("rb") as handle:
                raw = handle.read(max_bytes + 1)
        except FileNotFoundError as exc:
            raise fail(f"no such file: {file}") from exc
        except OSError as exc:
            raise fail(f"cannot read {file}: {exc.strerror or exc}") from exc
    if len(raw) > max_bytes:
        raise fail(f"{name} is above the {max_bytes}-byte limit (NEWSWORKER_MAX_SEED_BYTES)")
    try:
        return decode_text(raw)[0]
    except NotTextError as exc:
        raise fail(f"{name} is not text: {exc}") from exc


def reenrich(
    stale: Annotated[bool, typer.Option("--stale", help="Only documents a newer model or "
                                        "rule table would change.")] = False,
    limit: Annotated[int | None, typer.Option(min=1)] = None,
    dry_run: Annotated[bool, typer.Option(help="Count, queue nothing.")] = False,
    wait: Annotated[bool, typer.Option(help="Block until done.")] = False,
    timeout: Annotated[float, typer.Option()] = 3600.0,
    as_json: JsonOpt = False,
) -> None:
    """Run NLP again on indexed documents, from their stored text (nothing is refetched)."""
    if not stale:
        raise fail("say which documents: --stale (documents a newer model or rule would change)")
    settings = get_settings()
    articles = list(stale_articles(services.store(), Enricher.from_settings(settings),
                                   limit=limit))
    if dry_run:
        print_json({"stale": len(articles)}) if as_json else console.print(
            f"{len(articles)} stale documents")
        return
    job_id = start_reenrich(articles, services.ledger(), services.outbox(), settings.batch_size,
                            settings.batch_chars)
    summary = services.wait_for(job_id, wait, timeout).as_dict()
    print_json(summary) if as_json else print_summary(summary)


def train_ner(
    data: Annotated[Path, typer.Option(help="Folder with nergrit-*.tsv and nerp-*.tsv.")],
    output: Annotated[Path, typer.Option(help="Where the model is written (or read, with "
                                         "--evaluate-only).")] = (
        PROJECT_ROOT / "worker" / "models" / "id_news_ner"
    ),
    seed: Annotated[int | None, typer.Option(help="Default: the shipped model's seed.")] = None,
    select_on: Annotated[list[str] | None, typer.Option(
        "--select-on", metavar="CORPUS",
        help="Pick the best checkpoint (and relabeller margin) on this corpus's valid split "
             "(nergrit, nerp); repeatable. Default: the shipped model's, nerp.")] = None,
    mention_copies: Annotated[int, typer.Option(
        min=0, metavar="N",
        help="Add N mention-replaced copies of each training sentence with entities.")] = 0,
    weight: Annotated[list[str] | None, typer.Option(
        metavar="CORPUS=N", help="Repeat a corpus's training sentences N times, e.g. nerp=2; "
                                 "repeatable.")] = None,
    set_: Annotated[list[str] | None, typer.Option(
        "--set", metavar="KEY=VALUE",
        help="Extra spaCy config override (value read as JSON when it parses), e.g. "
             "training.max_epochs=5; repeatable.")] = None,
    config: Annotated[Path | None, typer.Option(
        help="spaCy training config. Default: config/ner-id/config.cfg.")] = None,
    relabeller: Annotated[bool, typer.Option(
        help="Add the entity relabeller (retypes ner's spans) if no valid split loses.")] = True,
    country_gazetteer: Annotated[bool, typer.Option(
        help="Add the ruler of Indonesian country names if no valid split loses.")] = True,
    train_gazetteer: Annotated[bool, typer.Option(
        help="Add the ruler of entity strings the train splits label consistently if no "
             "valid split loses.")] = True,
    evaluate_only: Annotated[bool, typer.Option(
        "--evaluate-only",
        help="Only score the model in --output on the valid splits (nothing is written).")
    ] = False,
) -> None:
    """Train the Indonesian NER model from a data folder (train splits; valid for selection)."""
    # Imported here: training needs the `train` extra, which workers do not install.
    from worker.training.corpus import CORPORA, SHIPPED_SELECT_ON
    from worker.training.evaluate import evaluate
    from worker.training.train import (
        DEFAULT_CONFIG,
        SHIPPED_SEED,
        parse_override,
        train_indonesian_ner,
    )

    settings = get_settings()  # the workers' CPU ops, under which the model's speed is measured
    blas_threads, use_blis = settings.nlp_blas_threads, settings.nlp_use_blis
    if not data.is_dir():
        raise fail(f"--data {data} is not a folder (it holds nergrit-*.tsv and nerp-*.tsv)")
    if evaluate_only:
        try:
            print_json(evaluate(output, data, blas_threads=blas_threads, use_blis=use_blis))
        except FileNotFoundError as exc:
            raise fail(f"missing {exc.filename}") from exc
        return
    unknown = sorted(set(select_on or ()) - set(CORPORA))
    if unknown:
        raise typer.BadParameter(f"unknown corpus {unknown}; choose from {list(CORPORA)}",
                                 param_hint="'--select-on'")
    try:
        overrides = dict(parse_override(item) for item in set_ or ())
        weights = {k: int(v) for k, v in (parse_override(item) for item in weight or ())}
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="'--set' / '--weight'") from exc
    missing = [name for name in (f"{c}-{split}.tsv" for c in CORPORA
                                 for split in ("train", "valid"))
               if not (data / name).is_file()]
    if missing:
        raise fail(f"--data {data} lacks {', '.join(missing)}")
    report = train_indonesian_ner(
        data,
        output,
        seed=SHIPPED_SEED if seed is None else seed,
        config_path=DEFAULT_CONFIG if config is None else config,
        overrides=overrides,
        country_gazetteer=country_gazetteer,
        train_gazetteer=train_gazetteer,
        relabeller=relabeller,
        weights=weights,
        mention_copies=mention_copies,
        select_on=select_on or SHIPPED_SELECT_ON,
        blas_threads=blas_threads,
        use_blis=use_blis,
    )
    print_json(report)
