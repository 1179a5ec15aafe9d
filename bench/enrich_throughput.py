"""Benchmark: NER words/s per language pipeline, and worker memory over many articles.

    .venv/bin/python bench/enrich_throughput.py [--articles 10000] [--words-per-lang 50000]

Prints words/s of each pipeline (NER only, one core; best and median of --repeats passes)
and the process RSS before models, after loading them, and after enriching --articles
articles (the whole enrichment stage: language, entities, keyphrases), with the growth
ratio. Uses the seed articles, varied.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from worker.enrich.annotate import Enricher  # noqa: E402
from worker.settings import get_settings  # noqa: E402
from worker.record import Article, Origin, article_id  # noqa: E402
from worker.sources.seed_files import parse_seed_bytes  # noqa: E402

ENRICHER = Enricher.from_settings(get_settings())
SAMPLES = {"id": "000_fbcae026f709bea4.txt", "en": "en_harbour_strike.txt",
           "fr": "fr_vendanges.txt"}


def rss_mb() -> float:
    """Current resident set size of this process, MiB."""
    with open(f"/proc/{os.getpid()}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def sample_text(language: str) -> str:
    """Title and body of the seed in that language."""
    raw = (ROOT / "seeds" / SAMPLES[language]).read_bytes()
    [article] = parse_seed_bytes(raw, Origin(kind="seed", location=SAMPLES[language]),
                                 max_bytes=10**7, max_text_chars=10**7)
    return article.analysed_text


def words_per_second(language: str, words: int, repeats: int = 3) -> tuple[float, float]:
    """NER throughput of one pipeline on repeated paragraphs of its seed: (best, median).

    The best of several passes is the pipeline's own speed; the median shows how much a
    shared (virtual) machine took away.
    """
    nlp = ENRICHER.pipeline(language)
    assert nlp is not None, language
    paragraphs = [p for p in sample_text(language).split("\n\n") if p.strip()]
    batch, total = [], 0
    while total < words:
        for p in paragraphs:
            batch.append(p)
            total += len(p.split())
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _doc in nlp.pipe(batch, batch_size=64):
            pass
        rates.append(total / (time.perf_counter() - start))
    return max(rates), statistics.median(rates)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--words-per-lang", type=int, default=50_000)
    parser.add_argument("--repeats", type=int, default=3, help="timed passes per pipeline")
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")

    start_rss = rss_mb()
    for language in ENRICHER.languages:
        ENRICHER.pipeline(language)
    loaded_rss = rss_mb()
    print(f"rss before models: {start_rss:.0f} MiB, after loading {len(ENRICHER.languages)} "
          f"pipelines: {loaded_rss:.0f} MiB")
    for language in ENRICHER.languages:
        best, median = words_per_second(language, args.words_per_lang, args.repeats)
        print(f"ner {language}: {best:,.0f} words/s (best of {args.repeats}; median {median:,.0f})")

    texts = {lang: sample_text(lang) for lang in SAMPLES}
    start = time.perf_counter()
    checkpoints = {args.articles // 10, args.articles // 2, args.articles}
    warm_rss = None
    for n in range(1, args.articles + 1):
        lang = list(texts)[n % len(texts)]
        title, _, body = texts[lang].partition("\n\n")
        body = f"{body}\n\nNomor {n}."  # every article distinct, as in a real stream
        ENRICHER.enrich(Article(id=article_id(url=None, title=title, body=body),
                               origin=Origin(kind="seed", location=f"bench-{n}"),
                               title=title, body=body))
        if n == min(100, args.articles):
            warm_rss = rss_mb()
        if n in checkpoints:
            elapsed = time.perf_counter() - start
            print(f"after {n:>6} articles: rss {rss_mb():.0f} MiB, {n / elapsed:.1f} articles/s")
    final = rss_mb()
    assert warm_rss is not None
    print(f"rss growth from article 100 to {args.articles}: {final - warm_rss:+.0f} MiB "
          f"(ratio {final / warm_rss:.3f})")


if __name__ == "__main__":
    main()
