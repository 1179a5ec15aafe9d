"""The enrichment stage: language, entities with that language's model, text metadata.

An ``Enricher`` is built from the settings once per process; the models and rule tables it
uses are loaded once per process and shared by every ``Enricher`` with the same config.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any

from worker.enrich.entities import doc_mentions, text_chunks
from worker.enrich.gazetteer import apply_gazetteer
from worker.enrich.keyphrases import VERSION as KEYPHRASES_VERSION
from worker.enrich.keyphrases import KeyphraseCounter
from worker.enrich.language import LanguageGuess, detect_language
from worker.enrich.normalise import EntityTables, default_tables, normalise_mentions
from worker.enrich.pipelines import (
    NlpConfig,
    PipelineSpec,
    language_config,
    language_table,
    load_pipeline,
    model_version,
    tokenizer_pipeline,
)
from worker.enrich.text_stats import text_measures
from worker.record import Article, Entity, Mention, NerStatus, Provenance
from worker.settings import Settings

# Config files whose content changes what enrichment produces: their hash is the "rules
# version" recorded on every document, so `reenrich --stale` finds what a change affects.
RULE_FILES = ("languages.yaml", "entity_aliases.yaml")
# Chunks per nlp.pipe minibatch (bench: 64 to 256 give the same words/s; memory grows above).
NLP_BATCH_SIZE = 128


@dataclass
class Annotation:
    """What enrichment found in one text."""

    language: LanguageGuess
    ner_status: NerStatus
    mentions: list[Mention] = field(default_factory=list)
    entities: list[Entity] = field(default_factory=list)
    model: tuple[str, str] | None = None
    chars_analysed: int = 0
    keyphrases: list[str] = field(default_factory=list)


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
    detectors = [f"{p}@{package_version(p)}" for p in ("py3langid", "lingua-language-detector")]
    return ",".join([*detectors, f"keyphrases@{KEYPHRASES_VERSION}"])


class Enricher:
    """Language, entities and text metadata, with the models and tables of one config."""

    def __init__(self, config: NlpConfig) -> None:
        self.config = config
        self.languages: dict[str, PipelineSpec] = language_table(config.config_dir)
        self.detection_languages = tuple(
            language_config(config.config_dir).get("detection_languages") or ()
        )
        self._vocab_start: dict[int, int] = {}  # id(pipeline) -> its vocabulary when first used

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

    def preload(self) -> None:
        """Load every model and table now (then run each once), e.g. before a pool forks."""
        texts = {lang: "Presiden Joko Widodo bertemu Angela Merkel di Berlin." for lang in
                 self.languages}
        self.annotate_many(list(texts.values()), list(texts))
        detect_language("preload " * 40, self.detection_languages)
        _ = self.tables

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
        return self.annotate_many([text], [language])[0]

    def annotate_many(
        self, texts: list[str], languages: list[str | None] | None = None
    ) -> list[Annotation]:
        """Annotate texts together: one ``nlp.pipe`` per language over all their chunks."""
        given = languages or [None] * len(texts)
        guesses = [LanguageGuess(lang, 1.0, True, "given") if lang
                   else detect_language(text, self.detection_languages)
                   for text, lang in zip(texts, given, strict=True)]
        mentions: list[list[Mention]] = [[] for _ in texts]
        counters = [KeyphraseCounter() for _ in texts]
        by_language: dict[str, list[int]] = {}
        for n, guess in enumerate(guesses):
            if guess.language:
                by_language.setdefault(guess.language, []).append(n)
        for language, members in by_language.items():
            spec = self.languages.get(language)
            nlp = self.pipeline(language) if spec else None
            if nlp is None:
                nlp = tokenizer_pipeline(language)
            chunks = [(n, offset, chunk)
                      for n in members for offset, chunk in text_chunks(texts[n])]
            with self._words_zone(nlp):
                docs = nlp.pipe((chunk for _, _, chunk in chunks), batch_size=NLP_BATCH_SIZE)
                for (n, offset, _chunk), doc in zip(chunks, docs, strict=True):
                    if spec is not None:
                        mentions[n] += doc_mentions(doc, offset, spec.labels)
                    counters[n].add(doc)
        return [self._annotation(text, guess, found, counter.top())
                for text, guess, found, counter in zip(texts, guesses, mentions, counters,
                                                       strict=True)]

    def _words_zone(self, nlp: Any) -> contextlib.AbstractContextManager[Any]:
        """Where the words a batch brings (lexemes, strings, tokenizer cache entries) live.

        A pipeline's vocabulary starts nearly empty (800 English words): with a memory zone
        around every batch, every batch looked up, split and made every word again, and the
        tokenizer alone took a sixth of enrichment (the stage ran at 0.74 of raw ``nlp.pipe``,
        whose vocabulary grows). So a process keeps the words of the news it reads, up to
        ``vocab_growth`` of them per language (a few megabytes: the common words, names and
        spans of that news); past that, a batch's new words live only as long as the batch
        (spaCy's memory zone), so memory stays bounded however long the worker runs.
        """
        # Vocab's length counts lexemes ever made (a zone's too), so once past the bound it
        # stays past: the switch to zones is for good.
        start = self._vocab_start.setdefault(id(nlp), len(nlp.vocab))
        if len(nlp.vocab) - start < self.config.vocab_growth:
            return contextlib.nullcontext()
        return nlp.memory_zone()  # type: ignore[no-any-return]

    def _annotation(self, text: str, guess: LanguageGuess, mentions: list[Mention],
                    keyphrases: list[str]) -> Annotation:
        spec = self.languages.get(guess.language or "")
        nlp = self.pipeline(guess.language)
        if spec is None or nlp is None:
            return Annotation(guess, "unsupported", chars_analysed=len(text),
                              keyphrases=keyphrases)
        found = apply_gazetteer(text, spec.language, mentions, self.config.config_dir)
        typed, entities = normalise_mentions(found, spec.language, tables=self.tables)
        return Annotation(guess, "ok", typed, entities, model_version(nlp), len(text), keyphrases)

    def enrich(self, article: Article) -> Article:
        """A copy of ``article`` with language, entities, text metadata and their provenance."""
        return self._enriched(article, self.annotate(article.analysed_text))

    def enrich_many(self, articles: list[Article]) -> list[Article | Exception]:
        """One result per article: the enriched copy, or the error that stopped it.

        The batch goes through the models together; if that fails, each article is tried
        alone, so that one bad article costs only itself.
        """
        try:
            annotations = self.annotate_many([a.analysed_text for a in articles])
            return [self._enriched(a, n) for a, n in zip(articles, annotations, strict=True)]
        except Exception:
            if len(articles) == 1:
                raise
        results: list[Article | Exception] = []
        for article in articles:
            try:
                results.append(self.enrich(article))
            except Exception as exc:
                results.append(exc)
        return results

    def _enriched(self, article: Article, annotation: Annotation) -> Article:
        language = annotation.language.language
        now = datetime.now(UTC)
        provenance = [p for p in article.provenance
                      if p.stage not in {"language", "ner", "keywords", "rules"}]
        provenance += [
            Provenance(stage="language", name=annotation.language.detector,
                       version=detector_versions(), at=now),
            Provenance(stage="keywords", name="keyphrases", version=KEYPHRASES_VERSION, at=now),
            Provenance(stage="rules", name="config",
                       version=rules_version(self.config.config_dir), at=now),
        ]
        if annotation.model:
            provenance.append(Provenance(stage="ner", name=annotation.model[0],
                                         version=annotation.model[1], at=now))
        words, minutes = text_measures(article.body)
        return article.model_copy(
            update={
                "language": language,
                "language_confidence": annotation.language.confidence,
                "language_reliable": annotation.language.reliable,
                "ner_status": annotation.ner_status,
                "mentions": annotation.mentions,
                "entities": annotation.entities,
                "chars_analysed": annotation.chars_analysed,
                "word_count": words,
                "reading_time_minutes": minutes,
                "keywords": annotation.keyphrases,
                "enrichment_signature": self.signature(language, annotation.model),
                "provenance": provenance,
            }
        )
