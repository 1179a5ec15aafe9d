"""Build, train and evaluate the project's Indonesian news NER model (spaCy, IndoNLU data)."""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import spacy
from spacy.language import Language
from spacy.scorer import Scorer
from spacy.tokens import Doc, DocBin, Span
from spacy.training import Example

import worker.enrich.ner_layers  # noqa: F401  (registers the model's custom layer and relabeller)
from worker.enrich.entity_relabeller import FACTORY as RELABELLER
from worker.enrich.entity_relabeller import is_lower_cased, span_features, train_weights
from worker.enrich.pipelines import use_configured_cpu_ops

PACKAGE_ROOT = Path(__file__).resolve().parents[1]
REPO_ROOT = PACKAGE_ROOT.parent
DEFAULT_CONFIG = REPO_ROOT / "config" / "ner-id" / "config.cfg"
DEFAULT_OUTPUT = PACKAGE_ROOT / "models" / "id_news_ner"
# The shipped model's seed and checkpoint-selection split are the defaults, so that the one
# command (`python -m worker train-ner --data DIR`) reproduces it. NERP valid (840 sentences,
# 1,765 entities) is the larger, steadier split for picking a checkpoint; NERGrit valid
# (209 sentences) is still scored and reported.
SHIPPED_SEED = 4
SHIPPED_SELECT_ON: tuple[str, ...] = ("nerp",)


def training_command(seed: int, select_on: Sequence[str] | None = None) -> str:
    """The one command that reproduces the shipped model (printed in its model card)."""
    chosen = list(select_on or CORPORA)
    every = set(chosen) == set(CORPORA)
    selection = "" if every else "".join(f" --select-on {corpus}" for corpus in chosen)
    return (
        "OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 "
        "python -m worker.enrich.ner_training --data ../shared/data/ner-id "
        f"--output worker/models/id_news_ner --seed {seed}{selection}"
    )

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


# Leading government-form words dropped to get the short country name used in news.
_GOVERNMENT_FORMS: tuple[str, ...] = ("Federasi ", "Republik ", "Kerajaan ", "Negara ")


def country_names() -> list[str]:
    """List Indonesian country names (pycountry's gettext catalogue) for the LOC gazetteer."""
    import gettext

    import pycountry

    translation = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["id"])
    names: set[str] = set()
    for country in pycountry.countries:
        for attr in ("name", "common_name"):
            english = getattr(country, attr, None)
            if not english:
                continue
            local = translation.gettext(english).split(",")[0].split("(")[0].strip()
            names.add(local)
            for form in _GOVERNMENT_FORMS:
                if local.startswith(form) and " " not in local[len(form) :]:
                    names.add(local[len(form) :])
    return sorted(n for n in names if len(n) >= 4)


def country_patterns() -> list[dict[str, str]]:
    """LOC patterns for the Indonesian country names."""
    return [{"label": "LOC", "pattern": name} for name in country_names()]


def train_entity_patterns(
    sentences: Sequence[Sentence], *, min_count: int = 2, min_share: float = 0.9
) -> list[dict[str, str]]:
    """Entity strings the train splits label one way, often and nearly wherever they occur.

    A string qualifies when its commonest label was given at least ``min_count`` times and
    in at least ``min_share`` of all its occurrences as words (labelled or not), so words
    like "konser", an EVENT only sometimes, stay out. Matching is on lower-cased text.
    """
    labels: dict[tuple[str, ...], Counter[str]] = {}
    lowered = [tuple(w.lower() for w in s.words) for s in sentences]
    for words, sent in zip(lowered, sentences, strict=True):
        for start, end, label in bio_to_spans(sent.tags):
            labels.setdefault(words[start:end], Counter())[label] += 1
    longest = max((len(k) for k in labels), default=0)
    occurrences: Counter[tuple[str, ...]] = Counter()
    for words in lowered:
        for n in range(1, longest + 1):
            for i in range(len(words) - n + 1):
                if words[i : i + n] in labels:
                    occurrences[words[i : i + n]] += 1
    patterns = []
    for words, counts in sorted(labels.items()):
        label, n = counts.most_common(1)[0]
        if n >= min_count and n / max(occurrences[words], n) >= min_share:
            patterns.append({"label": label, "pattern": " ".join(words)})
    return patterns


def add_ruler(nlp: Language, name: str, patterns: list[dict[str, str]]) -> None:
    """Add an entity ruler at the end that labels matches only where ner found nothing."""
    ruler: Any = nlp.add_pipe(
        "entity_ruler",
        name=name,
        after=nlp.pipe_names[-1],
        config={"overwrite_ents": False, "phrase_matcher_attr": "LOWER"},
    )
    ruler.add_patterns(patterns)


def no_split_loses(before: dict[str, float], after: dict[str, float]) -> bool:
    """A ruler earns its place only if no valid split loses F: a gain on one split does not
    buy a loss on the other (the worker's own gazetteer already adds missed country names)."""
    return all(after[c] >= before[c] for c in before)


def keep_if_it_helps(
    nlp: Language,
    data_dir: Path,
    name: str,
    patterns: list[dict[str, str]],
    before: dict[str, float],
) -> tuple[str, dict[str, float]]:
    """Add a ruler, keep it if no split loses; return the verdict and the pipeline's scores."""
    add_ruler(nlp, name, patterns)
    after = valid_f(nlp, data_dir)
    kept = no_split_loses(before, after)
    if not kept:
        nlp.remove_pipe(name)
    scores = ", ".join(f"{c} F {before[c]:.4f} -> {after[c]:.4f}" for c in CORPORA)
    verdict = f"{name} ({len(patterns)} patterns): {scores} ({'kept' if kept else 'dropped'})"
    return verdict, after if kept else before


# Margins tried for the entity relabeller: it retypes a span only when its classifier's score
# beats NER's type by more than this (averaged-perceptron units).
RELABEL_MARGINS: tuple[float, ...] = (4.0, 8.0, 12.0, 16.0, 24.0, 32.0)


def relabeller_examples(train: dict[str, list[Sentence]]) -> list[tuple[list[str], str]]:
    """(features, label) of every gold span in the train splits (corpus -> sentences), in both
    casings like NER sees them."""
    examples: list[tuple[list[str], str]] = []
    for corpus, lower in CORPORA.items():
        for sent in augment_casing(train[corpus], lower_cased_source=lower):
            lowered = [w.lower() for w in sent.words]
            lower_cased = is_lower_cased(" ".join(sent.words))
            for start, end, label in bio_to_spans(sent.tags):
                feats = span_features(
                    lowered,
                    start,
                    end,
                    capitalised=sent.words[start][:1].isupper(),
                    lower_cased_text=lower_cased,
                )
                examples.append((feats, label))
    return examples


def add_relabeller(
    nlp: Language, features: Sequence[str], weights: Any, margin: float
) -> None:
    """Put the entity relabeller right after ner (before the rulers, whose labels are exact)."""
    relabeller: Any = nlp.add_pipe(RELABELLER, after="ner", config={"margin": margin})
    relabeller.set_weights(features, weights, LABELS)


def choose_relabel_margin(
    nlp: Language,
    data_dir: Path,
    features: Sequence[str],
    weights: Any,
    before: dict[str, float],
    select_on: Sequence[str] = SHIPPED_SELECT_ON,
) -> tuple[str, dict[str, float]]:
    """Try each margin; keep the relabeller at the one with the best F on the ``select_on``
    valid splits (as for the checkpoint) among those where no split loses against the
    pipeline without it. Returns the verdict and the kept pipeline's scores."""
    tried: list[tuple[float, dict[str, float]]] = []
    for margin in RELABEL_MARGINS:
        add_relabeller(nlp, features, weights, margin)
        tried.append((margin, valid_f(nlp, data_dir)))
        nlp.remove_pipe(RELABELLER)
    fair = [(m, sc) for m, sc in tried if no_split_loses(before, sc)]
    listing = "; ".join(
        f"margin {m:g}: " + ", ".join(f"{c} {sc[c]:.4f}" for c in CORPORA) for m, sc in tried
    )
    head = f"{RELABELLER} ({len(features)} features; without: "
    head += ", ".join(f"{c} {before[c]:.4f}" for c in CORPORA) + f") {listing}"
    if not fair:
        return f"{head} (dropped)", before
    margin, scores = max(fair, key=lambda item: (sum(item[1][c] for c in select_on), item[0]))
    add_relabeller(nlp, features, weights, margin)
    return f"{head} (kept at margin {margin:g})", scores


def score_split(
    nlp: Language, sentences: Sequence[Sentence], labels: Iterable[str] | None = None
) -> dict[str, Any]:
    """Score NER on one gold split with spaCy's Scorer, only on the labels the corpus annotates."""
    keep = set(labels) if labels is not None else None
    gold = [sentence_to_doc(nlp, s) for s in sentences]
    inputs = [Doc(nlp.vocab, words=list(s.words)) for s in sentences]
    predicted = list(nlp.pipe(inputs, batch_size=256))
    all_labels = Scorer.score_spans(
        [Example(p, g) for p, g in zip(predicted, gold, strict=True)], "ents"
    )
    if keep is not None:
        for doc in predicted:
            doc.ents = [e for e in doc.ents if e.label_ in keep]
    examples = [Example(p, g) for p, g in zip(predicted, gold, strict=True)]
    scores = Scorer.score_spans(examples, "ents")
    per_type = scores.get("ents_per_type") or {}
    support = Counter(ent.label_ for g in gold for ent in g.ents)
    return {
        "p": round(float(scores["ents_p"] or 0.0), 4),
        "r": round(float(scores["ents_r"] or 0.0), 4),
        "f": round(float(scores["ents_f"] or 0.0), 4),
        "f_all_predicted_labels": round(float(all_labels["ents_f"] or 0.0), 4),
        "scored_labels": sorted(keep) if keep is not None else list(LABELS),
        "per_type": {
            label: {k: round(float(v), 4) for k, v in vals.items()} | {"n": support[label]}
            for label, vals in sorted(per_type.items())
        },
        "sentences": len(sentences),
    }


def valid_f(nlp: Language, data_dir: Path) -> dict[str, float]:
    """Overall F per valid split, used to decide whether an optional component helps."""
    return {
        corpus: float(
            score_split(nlp, load_corpus(data_dir, corpus, "valid")[0], CORPUS_LABELS[corpus])["f"]
        )
        for corpus in CORPORA
    }


def measure_speed(nlp: Language, texts: Sequence[str], *, repeats: int = 2) -> float:
    """Measure raw-text throughput (words/s) with nlp.pipe, the way the worker calls it."""
    list(nlp.pipe(texts[:200]))  # warm-up so lazy allocations are not timed
    best = 0.0
    for _ in range(repeats):
        start = time.perf_counter()
        words = sum(len(doc) for doc in nlp.pipe(texts, batch_size=256))
        best = max(best, words / (time.perf_counter() - start))
    return round(best, 1)


def folder_size_mb(path: Path) -> float:
    """Sum file sizes under a folder, to check the shipped model stays small."""
    return round(sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6, 2)


def evaluate(model_dir: Path, data_dir: Path) -> dict[str, Any]:
    """Evaluate a saved model on each valid split separately and measure its speed.

    The model runs with the workers' CPU ops (numpy's BLAS, one thread), so the card's
    speed is what a worker process gets.
    """
    report: dict[str, Any] = {"valid": {}, "matmul": use_configured_cpu_ops()}
    nlp = spacy.load(model_dir)
    texts: list[str] = []
    for corpus in CORPORA:
        sents, _ = load_corpus(data_dir, corpus, "valid")
        report["valid"][corpus] = score_split(nlp, sents, CORPUS_LABELS[corpus])
        texts.extend(" ".join(s.words) for s in sents)
    report["words_per_second"] = measure_speed(nlp, texts)
    report["size_mb"] = folder_size_mb(model_dir)
    report["pipeline"] = list(nlp.pipe_names)
    embed = nlp.config["components"]["tok2vec"]["model"]["embed"]
    report["lexicons"] = list(embed.get("lexicons") or [])
    ner: Any = nlp.get_pipe("ner")
    report["labels"] = list(ner.labels)
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


def _fmt(value: object) -> str:
    """Format a score for the model card table."""
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def render_model_card(report: dict[str, Any]) -> str:
    """Render MODEL_CARD.md so the shipped model documents data, licence, scores and limits."""
    lines = [
        "# id_news_ner — Indonesian news NER (spaCy)",
        "",
        "Blank `id` spaCy pipeline (`tok2vec` CNN + transition-based `ner`, then an entity",
        "relabeller and gazetteers), no pretrained vectors.",
        f"Pipeline: `{report['pipeline']}`; labels: `{report['labels']}`.",
        "",
        "The tok2vec embeds, per token, hashed NORM/PREFIX/SUFFIX/SHAPE, the first and last",
        "four UTF-8 bytes by position, and the word's Zipf-frequency bucket in each of the",
        f"languages `{report.get('lexicons', [])}` (wordfreq 3.1.1 lists, copied into the model",
        "when training starts), mixed by one maxout layer (`newsworker.HashCharEmbed.v1` in",
        "`worker/enrich/ner_layers.py`).",
        "",
        "Load with `import worker.enrich.ner_layers` (registers that layer and the",
        "`entity_relabeller` factory of `worker/enrich/entity_relabeller.py`), then",
        "`spacy.load(path_to_this_folder)`; the folder is otherwise self-contained and does not",
        "need wordfreq at run time.",
        "",
        "## Data and licence",
        "",
        "Trained on the train splits of NERGrit and NERP from the IndoNLU benchmark",
        "(github.com/IndoNLP/indonlu, `dataset/`,",
        "commit ce728f6926a36174b9923dfe49d6a6839b6e9bb7),",
        "Apache License 2.0. Model selection (best checkpoint) and the scores below use only the",
        "valid splits; the valid splits were never trained on. The checkpoint was picked on",
        f"`{report.get('select_on', list(CORPORA))}` valid (spaCy's ents_F, evaluated every",
        "`training.eval_frequency` steps).",
        "",
        "Preprocessing: corpus labels mapped to one scheme; BIO repaired (an `I-` that does not",
        "continue an entity of the same type becomes `B-`); casing augmentation: NERGrit is also",
        "added lower-cased, NERP (lower-cased) is also added with entity tokens title-cased.",
        "",
        f"BIO repairs per file: `{json.dumps(report['data']['bio_repairs'])}`",
        "",
        f"Sentences: `{json.dumps(report['data']['sentences'])}`",
        "",
        "## Label map",
        "",
        "| model label | NERGrit | NERP |",
        "|---|---|---|",
        "| PER | PERSON | PPL |",
        "| ORG | ORGANISATION | IND |",
        "| LOC | PLACE | PLC |",
        "| EVENT | — | EVT |",
        "| FOOD | — | FNB |",
        "",
        "## Training command",
        "",
        "From the repository root:",
        "",
        "```",
        report["training_command"],
        "```",
        "",
        "(`python -m worker train-ner --data DIR` calls the same `train_indonesian_ner`.)",
        "Config: `config/ner-id/config.cfg`.",
        "",
        "## Entity relabeller",
        "",
        "`entity_relabeller` follows `ner` and may change the type (never the boundaries) of",
        "the spans `ner` found: an averaged perceptron over each span's words, character 3-",
        "and 4-grams, two words either side, capitalisation and whether the text is all lower",
        "case, trained on every gold span of the train splits (both casings, 8 epochs,",
        "features seen fewer than 3 times dropped). It retypes a span only when its score beats",
        "`ner`'s type by more than the margin; the margin is picked on the same valid splits",
        "as the checkpoint, among those where no valid split loses F (else it is dropped).",
        "",
        "## Gazetteers",
        "",
        "Two rulers may follow `ner` (`overwrite_ents=false`, matching on LOWER); each labels",
        "its strings only where `ner` found nothing and is kept only if it lowers the F of",
        "neither valid split. `entity_ruler`: Indonesian country names as LOC, from pycountry's",
        "Indonesian ISO 3166 translations (short forms: text before a comma, government-form",
        "prefix such as `Federasi` dropped). `train_gazetteer`: entity strings the train",
        "splits label the same way at least twice and in at least 90 % of their occurrences.",
        f"Measured on the valid splits, in order: {report.get('component_effects', 'n/a')}.",
        "",
        "## Scores (valid splits, exact span match, spaCy Scorer)",
        "",
        "NERGrit annotates only PER/ORG/LOC, so EVENT/FOOD predictions are dropped before",
        "scoring it (`f_all_predicted_labels` in scores.json counts them as false positives).",
        "",
    ]
    for corpus, res in report["valid"].items():
        lines += [
            f"### {corpus}-valid ({res['sentences']} sentences)",
            "",
            "| type | P | R | F | gold entities |",
            "|---|---|---|---|---|",
        ]
        for label, vals in res["per_type"].items():
            lines.append(
                f"| {label} | {_fmt(vals['p'])} | {_fmt(vals['r'])} | {_fmt(vals['f'])} "
                f"| {vals['n']} |"
            )
        lines += [
            f"| **overall** | {_fmt(res['p'])} | {_fmt(res['r'])} | {_fmt(res['f'])} | |",
            "",
            f"F counting all predicted labels: {_fmt(res['f_all_predicted_labels'])}.",
            "",
        ]
    lines += [
        "## Speed and size",
        "",
        f"- {report['words_per_second']:,.0f} words (tokens)/s, one CPU core, `nlp.pipe` over "
        f"the valid texts (matrix products: {report.get('matmul', 'blis')}, 1 thread, as in",
        "  the worker; see `use_configured_cpu_ops` in `worker/enrich/pipelines.py`).",
        f"- Model folder: {report['size_mb']} MB.",
        "",
        "## Known limits",
        "",
        "- Trained on ~8.4k sentences only; no pretrained embeddings (word frequencies are the",
        "  only outside knowledge), so rare names and foreign entities are missed more often.",
        "- NERGrit has no EVENT/FOOD annotations and labels some nationality/role phrases",
        "  differently from NERP; EVENT and FOOD are learned from NERP only.",
        '- Country names used as political actors ("Rusia mengatakan") are labelled LOC as in',
        "  the training data, not ORG/GPE; organisations inside names of places may be split.",
        "- Abbreviations (AS, PBB) and multi-word foreign names (The Wall Street Journal) are",
        "  less reliable; lower-cased input loses the capitalisation cue and scores lower.",
        "- Trained on sentences: long documents work, but quotes and headlines may reduce",
        "  accuracy.",
        "- Seats of power used as institutions (Kremlin, Gedung Putih) are usually tagged LOC,",
        "  following how the training data tags such names, not ORG.",
        *baseline_lines(report),
        "- Speed was measured on a shared 2-core machine; expect some variation.",
        "",
    ]
    return "\n".join(lines)


# Valid-split F of a small CNN trained per corpus (the reference); floors, not goals.
BASELINE_F: dict[str, float] = {"nergrit": 0.69, "nerp": 0.76}


def baseline_lines(report: dict[str, Any]) -> list[str]:
    """Model-card lines comparing each valid split's F with its small-CNN baseline."""
    lines = []
    for corpus, baseline in BASELINE_F.items():
        f = float(report["valid"][corpus]["f"])
        verdict = "above" if f >= baseline else "BELOW"
        lines.append(f"- {corpus} valid F {f:.3f} is {verdict} its ~{baseline:.2f} CNN baseline.")
    lines.append("- EVENT is the weakest type (few, long, lower-cased common-word names).")
    return lines


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
) -> dict[str, object]:
    """Build corpora, train with the project config, ship the best-on-valid model with a report."""
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
    report: dict[str, Any] = evaluate(output_dir, data_dir)
    report.update(extra or {})
    report["component_effects"] = component_effects
    report["select_on"] = list(select_on)
    report["training_command"] = training_command(int(report.get("seed", 0)), select_on)
    (output_dir / "scores.json").write_text(
        json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    (output_dir / "MODEL_CARD.md").write_text(render_model_card(report), encoding="utf-8")
    return report


def _parse_override(text: str) -> tuple[str, Any]:
    """Parse a `section.key=value` override, reading the value as JSON when possible."""
    key, sep, value = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"override must be key=value, got {text!r}")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry so the training is one reproducible command."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, required=True, help="folder with the NER TSV files")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="model folder")
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help="spaCy config")
    parser.add_argument("--seed", type=int, default=SHIPPED_SEED)
    parser.add_argument(
        "--set",
        type=_parse_override,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra spaCy config override, e.g. training.max_epochs=5",
    )
    parser.add_argument(
        "--weight",
        type=_parse_override,
        action="append",
        default=[],
        metavar="CORPUS=N",
        help="repeat a corpus's training sentences N times, e.g. nerp=2",
    )
    parser.add_argument(
        "--mention-copies",
        type=int,
        default=0,
        metavar="N",
        help="add N mention-replaced copies of each training sentence with entities",
    )
    parser.add_argument(
        "--select-on",
        action="append",
        choices=list(CORPORA),
        help=f"pick the best checkpoint on these valid splits (default: {SHIPPED_SELECT_ON})",
    )
    parser.add_argument(
        "--no-country-gazetteer",
        action="store_true",
        help="do not add the entity_ruler with Indonesian country names after ner",
    )
    parser.add_argument(
        "--no-train-gazetteer",
        action="store_true",
        help="do not add the ruler of entity strings the train splits label consistently",
    )
    parser.add_argument(
        "--no-relabeller",
        action="store_true",
        help="do not add the entity relabeller (span classifier that retypes ner's spans)",
    )
    parser.add_argument(
        "--evaluate-only", action="store_true", help="only evaluate the model in --output"
    )
    args = parser.parse_args(argv)
    if args.evaluate_only:
        report: dict[str, object] = evaluate(args.output, args.data)
    else:
        report = train_indonesian_ner(
            args.data,
            args.output,
            seed=args.seed,
            config_path=args.config,
            overrides=dict(args.set),
            country_gazetteer=not args.no_country_gazetteer,
            train_gazetteer=not args.no_train_gazetteer,
            relabeller=not args.no_relabeller,
            weights={k: int(v) for k, v in args.weight},
            mention_copies=args.mention_copies,
            select_on=args.select_on or SHIPPED_SELECT_ON,
        )
    json.dump(report, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
