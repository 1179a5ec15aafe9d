"""The benchmark corpus is deterministic, varied and holds the user's sample seed."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from bench.corpus import (
    LONG_MAX_WORDS,
    MIN_WORDS,
    SAMPLE_SEED,
    Corpus,
    article_words,
    bench_articles,
    build_corpus,
)
from worker.record import Origin
from worker.sources.seed_files import parse_seed_bytes


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return build_corpus(120, seed=0)


def test_same_seed_same_articles() -> None:
    first, second = bench_articles(25, seed=3), bench_articles(25, seed=3)
    assert [(a.id, a.title, a.body) for a in first] == [(a.id, a.title, a.body) for a in second]


def test_a_longer_run_starts_with_the_shorter_one() -> None:
    short, long = bench_articles(10), bench_articles(30)
    assert [a.body for a in short] == [a.body for a in long[:10]]


def test_another_seed_gives_other_texts() -> None:
    assert [a.body for a in bench_articles(5, seed=1)[1:]] != \
        [a.body for a in bench_articles(5, seed=2)[1:]]


def test_n_articles_with_unique_ids_and_urls(corpus: Corpus) -> None:
    articles = corpus.articles
    assert len(articles) == 120
    assert len({a.id for a in articles}) == 120
    generated = articles[1:]
    assert len({a.url for a in generated}) == len(generated)
    assert all(a.url and a.url.startswith("https://") for a in generated)


def test_english_indonesian_and_french(corpus: Corpus) -> None:
    counts = Counter(corpus.languages)
    assert set(counts) == {"en", "id", "fr"}
    assert counts["en"] >= 30 and counts["id"] >= 30 and counts["fr"] >= 5


def test_lengths_are_news_lengths_with_paragraphs_and_titles(corpus: Corpus) -> None:
    generated = corpus.articles[1:]
    lengths = [article_words(a) for a in generated]
    assert min(lengths) >= MIN_WORDS
    assert max(lengths) <= LONG_MAX_WORDS + 250
    assert sorted(lengths)[len(lengths) // 2] <= 900
    for article in generated:
        assert article.title and "\n\n" in article.body
        assert article.body.count("\n\n") >= 2


def test_named_entities_are_plentiful(corpus: Corpus) -> None:
    article = corpus.articles[1]
    capitalised = [w for w in article.body.split()[1:] if w[:1].isupper()]
    assert len(capitalised) / len(article.body.split()) > 0.08


def test_the_sample_seed_is_the_first_article(corpus: Corpus) -> None:
    [sample] = parse_seed_bytes(SAMPLE_SEED.read_bytes(), Origin(kind="seed", location="x.txt"),
                                max_bytes=10**7, max_text_chars=10**7)
    first = corpus.articles[0]
    assert first.id == sample.id and first.body == sample.body
    assert first.title.startswith("Putin dan Obama")
    assert corpus.languages[0] == "id"


def test_seed_files_parse_back_to_the_same_articles(corpus: Corpus, tmp_path: Path) -> None:
    files = corpus.write_seed_files(tmp_path)
    ids: list[str] = []
    for path, expected in files.items():
        parsed = parse_seed_bytes(path.read_bytes(), Origin(kind="seed", location=str(path)),
                                  max_bytes=15 * 1024 * 1024, max_text_chars=2_000_000)
        assert [a.id for a in parsed] == expected
        ids += expected
    assert ids == [a.id for a in corpus.articles]


def test_words_are_counted_one_way(corpus: Corpus) -> None:
    assert corpus.words == sum(len(a.analysed_text.split()) for a in corpus.articles)
    assert sum(corpus.words_by_language().values()) == corpus.words
