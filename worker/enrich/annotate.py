"""The enrichment stage: language, entities with that language's model, text metadata."""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version as package_version

from worker.enrich.entities import extract_mentions
from worker.enrich.gazetteer import apply_gazetteer
from worker.enrich.language import LanguageGuess, detect_language
from worker.enrich.normalise import normalise_entities
from worker.enrich.pipelines import language_table, load_pipeline, model_version
from worker.enrich.text_stats import keyphrases, reading_time_minutes, word_count
from worker.record import Article, Entity, Mention, NerStatus, Provenance
from worker.settings import get_settings

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
def rules_version() -> str:
    """Short hash of the rule tables in config/."""
    digest = hashlib.sha256()
    for name in RULE_FILES:
        path = get_settings().config_dir / name
        digest.update(name.encode() + (path.read_bytes() if path.exists() else b""))
    return digest.hexdigest()[:12]


@functools.cache
def detector_versions() -> str:
    """Versions of the language detectors and keyphrase extractor."""
    return ",".join(f"{p}@{package_version(p)}"
                    for p in ("py3langid", "lingua-language-detector", "yake"))


def enrichment_signature(language: str | None, model: tuple[str, str] | None) -> str:
    """Everything that determines an article's enrichment; stale when it differs."""
    ner = f"{model[0]}@{model[1]}" if model else "none"
    return f"lang={language or '-'};ner={ner};rules={rules_version()};tools={detector_versions()}"


def current_signature(language: str | None) -> str:
    """The signature enrichment would give an article in ``language`` today."""
    spec = language_table().get(language or "")
    nlp = load_pipeline(spec.language) if spec else None
    return enrichment_signature(language, model_version(nlp) if nlp is not None else None)


def annotate_text(text: str, language: str | None = None) -> Annotation:
    """Annotate raw text; ``language`` overrides detection."""
    guess = LanguageGuess(language, 1.0, True, "given") if language else detect_language(text)
    spec = language_table().get(guess.language or "")
    nlp = load_pipeline(spec.language) if spec else None
    if spec is None or nlp is None:
        return Annotation(guess, "unsupported", chars_analysed=len(text))
    mentions = extract_mentions(nlp, text, spec.labels)
    mentions = apply_gazetteer(text, spec.language, mentions)
    return Annotation(
        guess, "ok", mentions, normalise_entities(mentions, spec.language), model_version(nlp),
        len(text),
    )


def enrich_article(article: Article) -> Article:
    """A copy of ``article`` with language, entities, text metadata and their provenance."""
    text = article.analysed_text
    annotation = annotate_text(text)
    language = annotation.language.language
    now = datetime.now(UTC)
    provenance = [p for p in article.provenance
                  if p.stage not in {"language", "ner", "keywords", "rules"}]
    provenance += [
        Provenance(stage="language", name=annotation.language.detector,
                   version=detector_versions(), at=now),
        Provenance(stage="keywords", name="yake", version=package_version("yake"), at=now),
        Provenance(stage="rules", name="config", version=rules_version(), at=now),
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
            "enrichment_signature": enrichment_signature(language, annotation.model),
            "provenance": provenance,
        }
    )
