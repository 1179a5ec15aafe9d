"""The benchmark corpus: the user's sample seed plus generated news in English, Indonesian, French.

Generated from the sentence templates and name lists in ``bench/corpus_data/`` (written for
this benchmark, nothing copied), seeded, so every run measures the same texts: article ``i``
depends only on ``(seed, i)``, so the first 1,000 articles of a 10,000 run are the 1,000 of
a 1,000 run. Articles are built by parsing the very JSONL lines the end-to-end run ingests,
so in-process and end-to-end figures are over identical records.

Words are counted one way everywhere: whitespace-separated words of ``Article.analysed_text``
(title + blank line + body, what NLP reads).
"""

from __future__ import annotations

import functools
import json
import random
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from worker.record import Article, Origin
from worker.sources.seed_files import parse_seed_bytes

ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = Path(__file__).resolve().parent / "corpus_data"
SAMPLE_SEED = ROOT / "seeds" / "000_fbcae026f709bea4.txt"
SAMPLE_LANGUAGE = "id"

# Share of generated articles per language (the sample seed is one more Indonesian one).
LANGUAGE_SHARES: tuple[tuple[str, float], ...] = (("en", 0.45), ("id", 0.40), ("fr", 0.15))
MIN_WORDS, TYPICAL_MAX_WORDS, LONG_MAX_WORDS = 250, 900, 2500
LONG_SHARE = 0.06  # "a few longer" articles
ARTICLES_PER_FILE = 64  # JSONL records per seed file in the end-to-end run
_PARSE_LIMIT = 10**9
_SLOT = re.compile(r"\{(\w+)\}")
_CAST = {"p": 4, "o": 3, "c": 3, "n": 3}


def words(text: str) -> int:
    """The benchmark's one word count: whitespace-separated tokens."""
    return len(text.split())


def article_words(article: Article) -> int:
    """Words of what NLP reads (title and body)."""
    return words(article.analysed_text)


@dataclass(frozen=True)
class Corpus:
    """The benchmark's articles with the language each was written in.

    ``records[i]`` is the JSONL object of ``articles[i]`` (None for the sample seed, which
    is ingested as its original file, ``sample_raw``).
    """

    seed: int
    articles: list[Article]
    languages: list[str]
    records: list[dict[str, Any] | None]
    sample_raw: bytes

    @property
    def words(self) -> int:
        """Total words of the corpus."""
        return sum(article_words(a) for a in self.articles)

    def words_by_language(self) -> dict[str, int]:
        """Total words per written language."""
        totals: dict[str, int] = {}
        for article, language in zip(self.articles, self.languages, strict=True):
            totals[language] = totals.get(language, 0) + article_words(article)
        return totals

    def write_seed_files(self, folder: Path,
                         per_file: int = ARTICLES_PER_FILE) -> dict[Path, list[str]]:
        """The corpus as seed files: the sample as itself, the rest as JSONL chunks.

        Returns each file (resolved path) with the ids of its articles, in corpus order.
        """
        folder.mkdir(parents=True, exist_ok=True)
        sample = (folder / SAMPLE_SEED.name).resolve()
        sample.write_bytes(self.sample_raw)
        files = {sample: [self.articles[0].id]}
        generated = [(a.id, r) for a, r in zip(self.articles, self.records, strict=True)
                     if r is not None]
        for n in range(0, len(generated), per_file):
            chunk = generated[n : n + per_file]
            path = (folder / f"bench-{n // per_file:05d}.jsonl").resolve()
            path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for _, r in chunk),
                            encoding="utf-8")
            files[path] = [article_id for article_id, _ in chunk]
        return files


@functools.cache
def lexicon(language: str) -> dict[str, Any]:
    """Names and templates of one language."""
    data: dict[str, Any] = yaml.safe_load((DATA_DIR / f"{language}.yaml").read_text("utf-8"))
    return data


def sample_article() -> tuple[Article, bytes]:
    """The user's sample seed, parsed as the pipeline parses it, and its raw bytes."""
    raw = SAMPLE_SEED.read_bytes()
    [article] = parse_seed_bytes(raw, Origin(kind="seed", location=f"seeds/{SAMPLE_SEED.name}"),
                                 max_bytes=_PARSE_LIMIT, max_text_chars=_PARSE_LIMIT)
    return article, raw


def _language_for(rng: random.Random) -> str:
    draw, total = rng.random(), 0.0
    for language, share in LANGUAGE_SHARES:
        total += share
        if draw < total:
            return language
    return LANGUAGE_SHARES[-1][0]


def _number_formats(language: str) -> tuple[str, str]:
    """(thousands separator, decimal separator) as the language's press writes them."""
    return {"en": (",", "."), "id": (".", ","), "fr": ("\u202f", ",")}[language]


class _Writer:
    """Composes one article from the lexicon of its language with one random generator."""

    def __init__(self, language: str, rng: random.Random) -> None:
        self.lang = language
        self.lex = lexicon(language)
        self.rng = rng
        people = self.lex["people"]
        self.people: list[tuple[str, str, str]] = []  # (full name, honorific + surname, surname)
        surnames = rng.sample(people["surnames"], _CAST["p"])
        for surname in surnames:
            gender = rng.choice(("male", "female"))
            first = rng.choice(people[gender])
            honorific = rng.choice(people["honorific"][gender])
            self.people.append((f"{first} {surname}", f"{honorific} {surname}", surname))
        self.cast = {
            "o": rng.sample(self.lex["orgs"], _CAST["o"]),
            "c": rng.sample(self.lex["cities"], _CAST["c"]),
            "n": rng.sample(self.lex["countries"], _CAST["n"]),
        }
        self.region = rng.choice(self.lex["regions"])
        self.event = rng.choice(self.lex["events"])
        self.topics = rng.sample(self.lex["topics"], 2)
        self.roles: list[str] = []
        base = self._slots(shuffle=False)
        self.roles = [self._fill(rng.choice(self.lex["roles"]), base) for _ in self.people]

    def _slots(self, *, shuffle: bool = True) -> dict[str, str]:
        """Slot values for one sentence: the cast in a fresh order, fresh numbers."""
        rng = self.rng
        slots: dict[str, str] = {}
        order = list(range(len(self.people)))
        if shuffle:
            rng.shuffle(order)
        for k, i in enumerate(order):
            full, short, surname = self.people[i]
            slots |= {f"p{k}": full, f"p{k}s": short, f"p{k}l": surname}
            if self.roles:
                slots[f"r{k}"] = self.roles[i]
        for kind, names in self.cast.items():
            picked = rng.sample(names, len(names)) if shuffle else names
            slots |= {f"{kind}{k}": name for k, name in enumerate(picked)}
        thousands, decimal = _number_formats(self.lang)
        slots |= {
            "g0": self.region, "e0": self.event, "t0": self.topics[0], "t1": self.topics[1],
            "num": str(rng.randint(3, 240)),
            "big": f"{rng.randint(2, 950)}{thousands}{rng.randint(0, 999):03d}",
            "pct": f"{rng.randint(1, 38)}{decimal}{rng.randint(0, 9)}",
            "day": rng.choice(self.lex["weekdays"]),
            "month": rng.choice(self.lex["months"]),
            "year": str(rng.randint(1998, 2023)),
        }
        return slots

    def _fill(self, template: str, slots: dict[str, str]) -> str:
        def value(match: re.Match[str]) -> str:
            name = match.group(1)
            if name == "q":
                return _capitalised(self._fill(self.rng.choice(self.lex["quotes"]), slots))
            return slots[name]

        return _SLOT.sub(value, template)

    def sentence(self, pool: str, template: str | None = None) -> str:
        """One sentence from a template list of the lexicon (or the given template)."""
        chosen = template if template is not None else self.rng.choice(self.lex[pool])
        return _capitalised(self._fill(chosen, self._slots()))

    def article(self, target_words: int) -> tuple[str, list[str]]:
        """(title, paragraphs) of about ``target_words`` words, never fewer."""
        rng = self.rng
        title = self.sentence("titles")
        lead = [self.sentence("leads")] + [self.sentence("sentences")
                                           for _ in range(rng.randint(0, 2))]
        paragraphs = [" ".join(lead)]
        count = words(paragraphs[0])
        deck: list[str] = []
        while count < target_words:
            sentences = []
            for _ in range(rng.randint(2, 5)):
                if not deck:  # every template once before any repeats
                    deck = list(self.lex["sentences"])
                    rng.shuffle(deck)
                sentences.append(self.sentence("sentences", deck.pop()))
            paragraphs.append(" ".join(sentences))
            count += words(paragraphs[-1])
        if rng.random() < 0.5:
            paragraphs[-1] += " " + self.sentence("closers")
        return title, paragraphs


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "-".join(re.findall(r"[a-z0-9]+", ascii_text.lower()))[:60] or "article"


def generated_record(index: int, seed: int = 0) -> tuple[str, dict[str, Any]]:
    """(language, JSONL object) of generated article ``index``; depends on nothing else."""
    rng = random.Random(f"newsworker-bench:{seed}:{index}")
    language = _language_for(rng)
    if rng.random() < LONG_SHARE:
        target = rng.randint(TYPICAL_MAX_WORDS + 100, LONG_MAX_WORDS)
    else:
        target = round(rng.triangular(MIN_WORDS, TYPICAL_MAX_WORDS, 420))
    writer = _Writer(language, rng)
    title, paragraphs = writer.article(target)
    published = datetime(2024, 1, 1, 6, tzinfo=UTC) + timedelta(
        minutes=rng.randint(0, 2 * 365 * 24 * 60))
    people = writer.lex["people"]
    first_names = people[rng.choice(("male", "female"))]
    author = f"{rng.choice(first_names)} {rng.choice(people['surnames'])}"
    site = rng.choice(writer.lex["sites"])
    url = (f"https://{site}/{published:%Y/%m/%d}/{_slug(title)}-s{seed}-{index:06d}")
    return language, {
        "title": title,
        "body": "\n\n".join(paragraphs),
        "url": url,
        "published_at": published.isoformat(),
        "authors": [author],
    }


def build_corpus(n: int, seed: int = 0) -> Corpus:
    """``n`` articles: the sample seed first, then ``n - 1`` generated ones."""
    if n < 1:
        raise ValueError("the corpus holds at least the sample seed")
    sample, sample_raw = sample_article()
    articles, languages = [sample], [SAMPLE_LANGUAGE]
    records: list[dict[str, Any] | None] = [None]
    generated = [generated_record(i, seed) for i in range(1, n)]
    for start in range(0, len(generated), ARTICLES_PER_FILE):
        chunk = generated[start : start + ARTICLES_PER_FILE]
        raw = "".join(json.dumps(r, ensure_ascii=False) + "\n" for _, r in chunk).encode()
        parsed = parse_seed_bytes(raw, Origin(kind="seed", location=f"bench-{start}.jsonl"),
                                  max_bytes=_PARSE_LIMIT, max_text_chars=_PARSE_LIMIT)
        if len(parsed) != len(chunk):
            raise RuntimeError(f"{len(chunk) - len(parsed)} generated records did not parse")
        articles += parsed
        languages += [language for language, _ in chunk]
        records += [record for _, record in chunk]
    return Corpus(seed, articles, languages, records, sample_raw)


def bench_articles(n: int, seed: int = 0) -> list[Article]:
    """The first ``n`` articles of the benchmark corpus (the sample seed is the first)."""
    return build_corpus(n, seed).articles
