"""The enrichment stage: language, then entities with the model for that language."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from worker.enrich.entities import extract_mentions, merge_mentions
from worker.enrich.language import LanguageGuess, detect_language
from worker.enrich.pipelines import language_table, load_pipeline, model_version
from worker.record import Article, Entity, Mention, NerStatus, Provenance

LANGUAGE_DETECTOR = ("py3langid", "0.4")


@dataclass
class Annotation:
    """What enrichment found in one text."""

    language: LanguageGuess
    ner_status: NerStatus
    mentions: list[Mention] = field(default_factory=list)
    entities: list[Entity] = field(default_factory=list)
    model: tuple[str, str] | None = None
    chars_analysed: int = 0


def annotate_text(text: str, language: str | None = None) -> Annotation:
    """Annotate raw text; ``language`` overrides detection (the guess is still reported)."""
    guess = detect_language(text)
    if language:
        guess = LanguageGuess(language, 1.0, True)
    spec = language_table().get(guess.language or "")
    nlp = load_pipeline(spec.language) if spec else None
    if spec is None or nlp is None:
        return Annotation(guess, "unsupported", chars_analysed=len(text))
    mentions = extract_mentions(nlp, text, spec.labels)
    return Annotation(
        guess, "ok", mentions, merge_mentions(mentions), model_version(nlp), len(text)
    )


def enrich_article(article: Article) -> Article:
    """A copy of ``article`` with language, entities and the provenance of both."""
    annotation = annotate_text(article.analysed_text)
    now = datetime.now(UTC)
    provenance = [p for p in article.provenance if p.stage not in {"language", "ner"}]
    provenance.append(Provenance(stage="language", name=LANGUAGE_DETECTOR[0],
                                 version=LANGUAGE_DETECTOR[1], at=now))
    if annotation.model:
        provenance.append(Provenance(stage="ner", name=annotation.model[0],
                                     version=annotation.model[1], at=now))
    return article.model_copy(
        update={
            "language": annotation.language.language,
            "language_confidence": annotation.language.confidence,
            "language_reliable": annotation.language.reliable,
            "ner_status": annotation.ner_status,
            "mentions": annotation.mentions,
            "entities": annotation.entities,
            "provenance": provenance,
        }
    )
