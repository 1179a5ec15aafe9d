"""Train the project's Indonesian news NER model (spaCy, IndoNLU data) and ship it with its card.

The one entry point is `python -m worker train-ner` (worker/cli/models.py); this package needs
the `train` extra (wordfreq), which workers do not install.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import spacy

import worker.enrich.ner_layers  # noqa: F401  (registers the model's custom layer and relabeller)
from worker.enrich.entity_relabeller import train_weights
from worker.training.corpus import CORPORA, LABELS, SHIPPED_SELECT_ON, build_corpora, load_corpus
from worker.training.evaluate import evaluate, valid_f
from worker.training.model_card import render_model_card
from worker.training.relabeller import choose_relabel_margin, relabeller_examples
from worker.training.rulers import country_patterns, keep_if_it_helps, train_entity_patterns

PACKAGE_ROOT = Path(__file__).resolve().parents[1]
REPO_ROOT = PACKAGE_ROOT.parent
DEFAULT_CONFIG = REPO_ROOT / "config" / "ner-id" / "config.cfg"
DEFAULT_OUTPUT = PACKAGE_ROOT / "models" / "id_news_ner"
# The shipped model's seed and checkpoint-selection split (SHIPPED_SELECT_ON, in corpus.py)
# are the defaults, so that the one command (`python -m worker train-ner --data DIR`)
# reproduces it.
SHIPPED_SEED = 4


def training_command(seed: int, select_on: Sequence[str] | None = None) -> str:
    """The one command that reproduces the shipped model (printed in its model card)."""
    chosen = list(select_on or CORPORA)
    every = set(chosen) == set(CORPORA)
    selection = "" if every else "".join(f" --select-on {corpus}" for corpus in chosen)
    return (
        "OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 "
        "python -m worker train-ner --data ../shared/data/ner-id "
        f"--output worker/models/id_news_ner --seed {seed}{selection}"
    )


def parse_override(text: str) -> tuple[str, Any]:
    """Parse a `section.key=value` override, reading the value as JSON when possible."""
    key, sep, value = text.partition("=")
    if not sep:
        raise ValueError(f"override must be key=value, got {text!r}")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


def train_indonesian_ner(
    data_dir: Path,
    output_dir: Path = DEFAULT_OUTPUT,
    *,
    seed: int = SHIPPED_SEED,
    config_path: Path = DEFAULT_CONFIG,
    overrides: dict[str, Any] | None = None,
    country_gazetteer: bool = True,
    train_gazetteer: bool = True,
    relabeller: bool = True,
    weights: dict[str, int] | None = None,
    mention_copies: int = 0,
    select_on: Sequence[str] = SHIPPED_SELECT_ON,
    blas_threads: int = 1,
    use_blis: bool = False,
) -> dict[str, object]:
    """Build corpora, train with the project config, ship the best-on-valid model with a report.

    ``blas_threads`` and ``use_blis`` are the workers' CPU ops (settings `nlp_blas_threads`,
    `nlp_use_blis`), under which the shipped model's speed is measured.
    """
    from spacy.cli.train import train as spacy_train

    data_dir = Path(data_dir)
    output_dir = Path(output_dir)
    with tempfile.TemporaryDirectory(prefix="ner-id-") as tmp:
        work = Path(tmp)
        data_stats = build_corpora(
            data_dir, work / "corpus", weights, mention_copies, seed, select_on
        )
        all_overrides: dict[str, Any] = {
            "paths.train": str(work / "corpus" / "train.spacy"),
            "paths.dev": str(work / "corpus" / "dev.spacy"),
            "system.seed": seed,
        }
        all_overrides.update(overrides or {})
        started = time.perf_counter()
        spacy_train(config_path, work / "run", use_gpu=-1, overrides=all_overrides)
        train_seconds = round(time.perf_counter() - started, 1)
        report = ship_model(
            work / "run" / "model-best",
            output_dir,
            data_dir,
            country_gazetteer=country_gazetteer,
            train_gazetteer=train_gazetteer,
            relabeller=relabeller,
            select_on=select_on,
            blas_threads=blas_threads,
            use_blis=use_blis,
            extra={
                "data": data_stats,
                "seed": seed,
                "train_seconds": train_seconds,
                "overrides": dict(overrides or {}),
                "weights": dict(weights or {}),
                "mention_copies": mention_copies,
            },
        )
    return report


def ship_model(
    best_dir: Path,
    output_dir: Path,
    data_dir: Path,
    *,
    country_gazetteer: bool = True,
    train_gazetteer: bool = True,
    relabeller: bool = True,
    select_on: Sequence[str] = SHIPPED_SELECT_ON,
    blas_threads: int = 1,
    use_blis: bool = False,
    extra: dict[str, Any] | None = None,
) -> dict[str, object]:
    """Turn a trained checkpoint into the shipped folder: relabeller, gazetteers, meta, card."""
    nlp = spacy.load(best_dir)
    train = {corpus: load_corpus(data_dir, corpus, "train")[0] for corpus in CORPORA}
    effects = []
    scores = valid_f(nlp, data_dir)
    if relabeller:
        features, weights = train_weights(relabeller_examples(train), LABELS)
        effect, scores = choose_relabel_margin(
            nlp, data_dir, features, weights, scores, select_on
        )
        effects.append(effect)
    rulers: list[tuple[str, list[dict[str, str]]]] = []
    if country_gazetteer:
        rulers.append(("entity_ruler", country_patterns()))
    if train_gazetteer:
        every_sentence = [s for sents in train.values() for s in sents]
        rulers.append(("train_gazetteer", train_entity_patterns(every_sentence)))
    for name, patterns in rulers:  # each ruler is judged against the pipeline kept so far
        effect, scores = keep_if_it_helps(nlp, data_dir, name, patterns, scores)
        effects.append(effect)
    component_effects = "; ".join(effects) or "not tried"
    nlp.meta.update(
        {
            "name": "id_news_ner",
            "version": "0.2.0",
            "description": "Indonesian news NER (PER, ORG, LOC, EVENT, FOOD), span relabeller",
            "license": "Apache-2.0",
            "sources": [
                {
                    "name": "IndoNLU NERGrit and NERP (train splits)",
                    "url": "https://github.com/IndoNLP/indonlu",
                    "license": "Apache-2.0",
                }
            ],
        }
    )
    _safe_replace_dir(output_dir)
    nlp.to_disk(output_dir)
    _strip_machine_paths(output_dir)
    report: dict[str, Any] = evaluate(
        output_dir, data_dir, blas_threads=blas_threads, use_blis=use_blis
    )
    report.update(extra or {})
    report["component_effects"] = component_effects
    report["select_on"] = list(select_on)
    report["training_command"] = training_command(int(report.get("seed", 0)), select_on)
    (output_dir / "scores.json").write_text(
        json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    (output_dir / "MODEL_CARD.md").write_text(render_model_card(report), encoding="utf-8")
    return report


def _strip_machine_paths(model_dir: Path) -> None:
    """Null the corpus paths in the saved config so no machine-specific path ships."""
    cfg = spacy.util.load_config(model_dir / "config.cfg", interpolate=False)
    for key in ("train", "dev"):
        cfg["paths"][key] = None
    cfg.to_disk(model_dir / "config.cfg")


def _safe_replace_dir(target: Path) -> None:
    """Refuse to delete a non-model folder before replacing it with the new model."""
    if not target.exists():
        return
    contents = list(target.iterdir())
    if contents and not (target / "meta.json").exists():
        raise FileExistsError(f"{target} exists and is not a spaCy model folder; not replacing")
    shutil.rmtree(target)

