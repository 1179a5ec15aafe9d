"""The enrichment stage: language, entities with that language's model, text metadata.

An ``Enricher`` is built from the settings once per process; the models and rule tables it
uses are loaded once per process and shared by every ``Enricher`` with the same config.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any

from worker.enrich.entities import extract_mentions
from worker.enrich.gazetteer import apply_gazetteer
from worker.enrich.language import LanguageGuess, detect_language
from worker.enrich.normalise import EntityTables, default_tables, normalise_entities
from worker.enrich.pipelines import (
    NlpConfig,
    PipelineSpec,
    language_config,
    language_table,
    load_pipeline,
    model_version,
)
from worker.enrich.text_stats import keyphrases, reading_time_minutes, word_count
from worker.record import Article, Entity, Mention, NerStatus, Provenance
from worker.settings import Settings

# Config files whose content changes what enrichment produces: their hash is the "rules
# version" recorded on every document, so `reenrich --stale` finds what a change affects.
RULE_FILES = ("languages.yaml", "entity_aliases.yaml")


@dataclass
class Annotation:
    """What enrichment found in one text."""

    language: LanguageGuess
    ner_status: NerStatus
    mentions: list[Mention] = field(default_factory=list)
    entities: list[Entity] = field(default_factory=list)
    model: tuple[str, str] | None = None
    chars_analysed: int = 0


@functools.cache
def rules_version(config_dir: Path) -> str:
    """Short hash of the rule tables in ``config_dir``."""
    digest = hashlib.sha256()
    for name in RULE_FILES:
        path = config_dir / name
        digest.update(name.encode() + (path.read_bytes() if path.exists() else b""))
    return digest.hexdigest()[:12]


@functools.cache
def detector_versions() -> str:
    """Versions of the language detectors and keyphrase extractor."""
    return ",".join(f"{p}@{package_version(p)}"
                    for p in ("py3langid", "lingua-language-detector", "yake"))


class Enricher:
    """Language, entities and text metadata, with the models and tables of one config."""

    def __init__(self, config: NlpConfig) -> None:
        self.config = config
        self.languages: dict[str, PipelineSpec] = language_table(config.config_dir)
        self.detection_languages = tuple(
            language_config(config.config_dir).get("detection_languages") or ()
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> Enricher:
        """The enricher the settings describe."""
        return cls(NlpConfig.from_settings(settings))

    @property
    def tables(self) -> EntityTables:
        """The entity tables (aliases, titles, countries) of this config."""
        return default_tables(self.config.config_dir)

    def pipeline(self, language: str | None) -> Any | None:
        """The loaded NER pipeline of ``language``; None when the language has no model."""
        spec = self.languages.get(language or "")
        return load_pipeline(spec.language, self.config) if spec else None

    def signature(self, language: str | None, model: tuple[str, str] | None = None) -> str:
        """Everything that determines an article's enrichment; stale when it differs.

        Without ``model``, the signature enrichment would give an article in ``language`` today.
        """
        if model is None:
            nlp = self.pipeline(language)
            model = model_version(nlp) if nlp is not None else None
        ner = f"{model[0]}@{model[1]}" if model else "none"
        return (f"lang={language or '-'};ner={ner};rules={rules_version(self.config.config_dir)};"
                f"tools={detector_versions()}")

    def annotate(self, text: str, language: str | None = None) -> Annotation:
        """Annotate raw text; ``language`` overrides detection."""
        guess = (LanguageGuess(language, 1.0, True, "given") if language
                 else detect_language(text, self.detection_languages))
        spec = self.languages.get(guess.language or "")
        nlp = self.pipeline(guess.language)
        if spec is None or nlp is None:
            return Annotation(guess, "unsupported", chars_analysed=len(text))
        mentions = extract_mentions(nlp, text, spec.labels)
        mentions = apply_gazetteer(text, spec.language, mentions, self.config.config_dir)
        return Annotation(
            guess, "ok", mentions,
            normalise_entities(mentions, spec.language, tables=self.tables),
            model_version(nlp), len(text),
        )

    def enrich(self, article: Article) -> Article:
        """A copy of ``article`` with language, entities, text metadata and their provenance."""
        text = article.analysed_text
        annotation = self.annotate(text)
        language = annotation.language.language
        now = datetime.now(UTC)
        provenance = [p for p in article.provenance
                      if p.stage not in {"language", "ner", "keywords", "rules"}]
        provenance += [
            Provenance(stage="language", name=annotation.language.detector,
                       version=detector_versions(), at=now),
            Provenance(stage="keywords", name="yake", version=package_version("yake"), at=now),
            Provenance(stage="rules", name="config",
                       version=rules_version(self.config.config_dir), at=now),
        ]
        if annotation.model:
            provenance.append(Provenance(stage="ner", name=annotation.model[0],
                                         version=annotation.model[1], at=now))
        return article.model_copy(
            update={
                "language": language,
                "language_confidence": annotation.language.confidence,
                "language_reliable": annotation.language.reliable,
                "ner_status": annotation.ner_status,
                "mentions": annotation.mentions,
                "entities": annotation.entities,
                "chars_analysed": annotation.chars_analysed,
                "word_count": word_count(article.body),
                "reading_time_minutes": reading_time_minutes(article.body),
                "keywords": keyphrases(text, language),
                "enrichment_signature": self.signature(language, annotation.model),
                "provenance": provenance,
            }
        )

    def enrich_many(self, articles: list[Article]) -> list[Article | Exception]:
        """One result per article: the enriched copy, or the error that stopped it."""
        results: list[Article | Exception] = []
        for article in articles:
            try:
                results.append(self.enrich(article))
            except Exception as exc:
                results.append(exc)
        return results
