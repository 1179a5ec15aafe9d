"""The training data: IndoNLU NER TSV files read, relabelled, BIO-repaired, augmented, DocBins."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import spacy
from spacy.language import Language
from spacy.tokens import Doc, DocBin, Span

# Corpus-specific tag types mapped onto the model's unified label scheme.
LABEL_MAP: dict[str, str] = {
    "PERSON": "PER",
    "PPL": "PER",
    "ORGANISATION": "ORG",
    "IND": "ORG",
    "PLACE": "LOC",
    "PLC": "LOC",
    "EVT": "EVENT",
    "FNB": "FOOD",
}
LABELS: tuple[str, ...] = ("PER", "ORG", "LOC", "EVENT", "FOOD")

# file name prefix -> whether the corpus text is lower-cased
CORPORA: dict[str, bool] = {"nergrit": False, "nerp": True}
# Unified labels each corpus annotates: predictions of other labels are not errors there.
CORPUS_LABELS: dict[str, tuple[str, ...]] = {
    "nergrit": ("PER", "ORG", "LOC"),
    "nerp": LABELS,
}
SPLITS: tuple[str, ...] = ("train", "valid")
# The shipped model's checkpoint-selection split (see SHIPPED_SEED in worker.training.train).
# NERP valid (840 sentences, 1,765 entities) is the larger, steadier split for picking a
# checkpoint; NERGrit valid (209 sentences) is still scored and reported.
SHIPPED_SELECT_ON: tuple[str, ...] = ("nerp",)


@dataclass(frozen=True)
class Sentence:
    """One tokenised sentence with its BIO tags, kept immutable so augmentations cannot alias."""

    words: tuple[str, ...]
    tags: tuple[str, ...]


def parse_tsv(text: str) -> list[Sentence]:
    """Parse `token<TAB>label` lines with blank-line sentence breaks, the IndoNLU NER format."""
    sentences: list[Sentence] = []
    words: list[str] = []
    tags: list[str] = []
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip("\r\n")
        if not line.strip():
            if words:
                sentences.append(Sentence(tuple(words), tuple(tags)))
                words, tags = [], []
            continue
        token, sep, tag = line.rpartition("\t")
        if not sep or not token.strip() or not tag.strip():
            raise ValueError(f"line {lineno}: expected 'token<TAB>label', got {raw!r}")
        words.append(token.strip())
        tags.append(tag.strip())
    if words:
        sentences.append(Sentence(tuple(words), tuple(tags)))
    return sentences


def read_tsv(path: Path) -> list[Sentence]:
    """Read one IndoNLU NER TSV file from disk so training never depends on its location."""
    return parse_tsv(path.read_text(encoding="utf-8"))


def map_tag(tag: str) -> str:
    """Translate one corpus BIO tag to the unified scheme so both corpora train one label set."""
    if tag == "O":
        return "O"
    prefix, sep, kind = tag.partition("-")
    if not sep or prefix not in ("B", "I") or kind not in LABEL_MAP:
        raise ValueError(f"unknown NER tag {tag!r}")
    return f"{prefix}-{LABEL_MAP[kind]}"


def repair_bio(tags: Sequence[str]) -> tuple[tuple[str, ...], int]:
    """Turn I- tags that do not continue an entity of the same type into B-, counting repairs."""
    fixed: list[str] = []
    repairs = 0
    previous = "O"
    for tag in tags:
        if tag.startswith("I-") and previous[2:] != tag[2:]:
            tag = "B-" + tag[2:]
            repairs += 1
        fixed.append(tag)
        previous = tag
    return tuple(fixed), repairs


def prepare_sentences(sentences: Iterable[Sentence]) -> tuple[list[Sentence], int]:
    """Map labels and repair BIO for a corpus, returning the repair count for the model card."""
    out: list[Sentence] = []
    total = 0
    for sent in sentences:
        tags, repairs = repair_bio([map_tag(t) for t in sent.tags])
        total += repairs
        out.append(Sentence(sent.words, tags))
    return out, total


def lowercase_sentence(sent: Sentence) -> Sentence:
    """Lower-case every token so the model also works on lower-cased text (like NERP)."""
    return Sentence(tuple(w.lower() for w in sent.words), sent.tags)


def titlecase_entities(sent: Sentence) -> Sentence:
    """Capitalise entity tokens only, mimicking news casing for lower-cased corpora like NERP."""
    pairs = zip(sent.words, sent.tags, strict=True)
    words = tuple(w[:1].upper() + w[1:] if tag != "O" else w for w, tag in pairs)
    return Sentence(words, sent.tags)


def augment_casing(sentences: Sequence[Sentence], *, lower_cased_source: bool) -> list[Sentence]:
    """Add the other casing variant of each sentence so both cased and lower-cased news work."""
    out = list(sentences)
    if lower_cased_source:
        out.extend(titlecase_entities(s) for s in sentences)
    else:
        out.extend(lowercase_sentence(s) for s in sentences)
    return out


def mention_pool(sentences: Iterable[Sentence]) -> dict[str, list[tuple[str, ...]]]:
    """Collect every entity mention per label, the material for mention replacement."""
    pool: dict[str, list[tuple[str, ...]]] = {}
    for sent in sentences:
        for start, end, label in bio_to_spans(sent.tags):
            pool.setdefault(label, []).append(sent.words[start:end])
    return pool


def replace_mentions(
    sent: Sentence, pool: dict[str, list[tuple[str, ...]]], rng: random.Random
) -> Sentence:
    """Swap each entity for a random mention of the same label, so names are seen in new contexts.

    Mention replacement (Dai & Adel, 2020) helps small NER corpora; context words are untouched.
    """
    words: list[str] = []
    tags: list[str] = []
    cursor = 0
    for start, end, label in bio_to_spans(sent.tags):
        words.extend(sent.words[cursor:start])
        tags.extend(sent.tags[cursor:start])
        mention = rng.choice(pool[label])
        words.extend(mention)
        tags.extend([f"B-{label}"] + [f"I-{label}"] * (len(mention) - 1))
        cursor = end
    words.extend(sent.words[cursor:])
    tags.extend(sent.tags[cursor:])
    return Sentence(tuple(words), tuple(tags))


def augment_mentions(sentences: Sequence[Sentence], copies: int, seed: int) -> list[Sentence]:
    """Append ``copies`` mention-replaced variants of every sentence that has an entity."""
    rng = random.Random(seed)
    pool = mention_pool(sentences)
    with_entities = [s for s in sentences if any(t != "O" for t in s.tags)]
    extra = [replace_mentions(s, pool, rng) for _ in range(copies) for s in with_entities]
    return [*sentences, *extra]


def bio_to_spans(tags: Sequence[str]) -> list[tuple[int, int, str]]:
    """Convert well-formed BIO tags to (start, end, label) token spans for Doc.ents."""
    spans: list[tuple[int, int, str]] = []
    start: int | None = None
    label = ""
    for i, tag in enumerate((*tags, "O")):
        if start is not None and not (tag.startswith("I-") and tag[2:] == label):
            spans.append((start, i, label))
            start = None
        if tag.startswith("B-") or (tag.startswith("I-") and start is None):
            start, label = i, tag[2:]
    return spans


def sentence_to_doc(nlp: Language, sent: Sentence) -> Doc:
    """Build a gold Doc from pre-tokenised words so spaCy's tokenizer cannot misalign labels."""
    doc = Doc(nlp.vocab, words=list(sent.words))
    doc.ents = [Span(doc, s, e, label=lab) for s, e, lab in bio_to_spans(sent.tags)]
    return doc


def sentences_to_docbin(nlp: Language, sentences: Iterable[Sentence]) -> DocBin:
    """Serialise gold sentences to a DocBin, the corpus format spaCy's trainer reads."""
    docbin = DocBin(attrs=["ORTH", "ENT_IOB", "ENT_TYPE"], store_user_data=False)
    for sent in sentences:
        docbin.add(sentence_to_doc(nlp, sent))
    return docbin


def load_corpus(data_dir: Path, corpus: str, split: str) -> tuple[list[Sentence], int]:
    """Read, relabel and repair one corpus split, the single entry point for raw data."""
    return prepare_sentences(read_tsv(data_dir / f"{corpus}-{split}.tsv"))


def build_corpora(
    data_dir: Path,
    work_dir: Path,
    weights: dict[str, int] | None = None,
    mention_copies: int = 0,
    seed: int = 0,
    select_on: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Write train (augmented, train splits only) and dev (valid splits) DocBins; return stats.

    ``weights`` repeats a corpus's training sentences (e.g. {"nerp": 2}) to balance the two;
    ``select_on`` limits the dev set, which picks the best checkpoint, to those corpora.
    """
    nlp = spacy.blank("id")
    stats: dict[str, Any] = {"bio_repairs": {}, "sentences": {}, "entities": {}}
    train: list[Sentence] = []
    dev: list[Sentence] = []
    for corpus, lower in CORPORA.items():
        for split in SPLITS:
            sents, repairs = load_corpus(data_dir, corpus, split)
            key = f"{corpus}-{split}"
            stats["bio_repairs"][key] = repairs
            stats["sentences"][key] = len(sents)
            stats["entities"][key] = dict(
                sorted(Counter(t[2:] for s in sents for t in s.tags if t.startswith("B-")).items())
            )
            if split == "train":
                if mention_copies:
                    sents = augment_mentions(sents, mention_copies, seed)
                augmented = augment_casing(sents, lower_cased_source=lower)
                train.extend(augmented * (weights or {}).get(corpus, 1))
            elif select_on is None or corpus in select_on:
                dev.extend(sents)
    stats["sentences"]["train-augmented"] = len(train)
    work_dir.mkdir(parents=True, exist_ok=True)
    sentences_to_docbin(nlp, train).to_disk(work_dir / "train.spacy")
    sentences_to_docbin(nlp, dev).to_disk(work_dir / "dev.spacy")
    return stats
