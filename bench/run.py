"""`python -m worker bench` / `python bench/run.py`: the pipeline's speed against its limits.

One run, on one corpus (the sample seed plus generated English, Indonesian and French news,
``bench/corpus.py``), measures on this machine:

* the limit: raw ``nlp.pipe`` words/s of each language's NER pipeline, in 1, 2 and
  ``--nlp-processes`` processes (so also the NLP scaling from 1 to 2 processes), and again
  right after the end-to-end run, which is compared with the mean of the two;
* the enrichment stage in this process, words/s and the share of each step;
* end to end through a private stack (real Redis, Celery workers, Elasticsearch), from the
  first enqueue until the last document is searchable; a run that loses, duplicates or
  quarantines a document fails (exit code 1);
* raw bulk indexing of the same documents against the pipeline's indexing stage;
* the RSS of every worker process at start, after 1,000 and after 10,000 articles.

Words are whitespace-separated words of title + body (``Article.analysed_text``), the same
count for every figure. The machine may be shared: figures are wall-clock, so compare ratios
from one run rather than absolute numbers across runs.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # `python bench/run.py` from anywhere
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from elasticsearch import Elasticsearch

from bench.corpus import Corpus, build_corpus
from bench.e2e import (
    EndToEnd,
    Indexing,
    compare_indexing,
    run_end_to_end,
    warm_elasticsearch,
    warm_stack,
)
from bench.limit import LimitResult, measure_limits
from bench.procs import machine
from bench.stack import NLP_CONCURRENCY_ENV, PrivateStack
from bench.stage import PAIRED_PASSES, StageResult, measure_stage, paired_stage_vs_limit
from bench.worker_api import StackClient, document_of

SMOKE_ARTICLES = 60
# Raw bulk and the index worker each take 2-3 s on 1,000 documents, short enough for the
# VM's drift to swing one pair's ratio by ±0.15: the median of back-to-back pairs is reported,
# taken in both orders (raw first, then the index worker first) to cancel a steady drift.
INDEXING_PAIRS = 5
# Pairs run first and not counted: the node has compiled raw bulk's path while warming, not
# yet the index worker's (mget, the near-duplicate msearch, bulks of 64); on a fresh node the
# index worker took 3.4, 2.7, 2.7, 2.7, 2.3, 2.2 s for the same 1,000 documents, then held.
INDEXING_WARMUP_PAIRS = 4
RSS_CHECKPOINTS = (1_000, 10_000)
WORD_DEFINITION = "whitespace-separated words of title + blank line + body (analysed_text)"
# The targets; each ratio is "measured / reference", except the RSS growth.
TARGETS = {"stage_vs_limit": 0.9, "pipeline_vs_limit": 0.8, "index_vs_raw_bulk": 0.9,
           "nlp_scaling_2_vs_1": 1.7, "rss_growth_1k_to_10k": 1.10}
REQUIRED_KEYS = tuple(TARGETS)


def _log(message: str) -> None:
    sys.stderr.write(f"[bench {time.strftime('%H:%M:%S')}] {message}\n")
    sys.stderr.flush()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="newsworker bench", description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=1000,
                        help="articles in the corpus, the sample seed included (up to 10000+)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--smoke", action="store_true",
                        help=f"tiny run ({SMOKE_ARTICLES} articles, 1 pass, the real stack): "
                             "checks counts and that every figure is there")
    parser.add_argument("--nlp-processes", type=int, default=1,
                        help=f"NLP worker processes of the stack (passed as {NLP_CONCURRENCY_ENV})"
                             " and of the limit it is compared with")
    parser.add_argument("--skip-e2e", action="store_true",
                        help="in-process figures only (no stack: no end to end, indexing, RSS)")
    parser.add_argument("--repeats", type=int, default=1,
                        help="passes of the in-process measurements (limit, stage); best kept")
    parser.add_argument("--in-process-articles", type=int, default=None,
                        help="run the limit, the stage and the indexing comparison on the first"
                             " N articles only (end to end and RSS still take them all)")
    parser.add_argument("--seed", type=int, default=0, help="corpus seed")
    parser.add_argument("--timeout", type=float, default=None,
                        help="seconds a stack job may take (default: 300 + 0.5 s per article)")
    args = parser.parse_args(argv)
    if args.smoke:
        args.articles, args.repeats = SMOKE_ARTICLES, 1
    if args.articles < 2 or args.nlp_processes < 1 or args.repeats < 1:
        parser.error("--articles must be at least 2, --nlp-processes and --repeats at least 1")
    return args


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return round(numerator / denominator, 3)


def rss_growth(before: dict[str, dict[str, Any]] | None,
               after: dict[str, dict[str, Any]] | None) -> tuple[float | None, dict[str, float]]:
    """(worst ratio, ratio per process) of RSS between two snapshots of the same processes."""
    if not before or not after:
        return None, {}
    ratios = {}
    for label, first in before.items():
        last = after.get(label)
        if last and last["pid"] == first["pid"] and first["rss_mib"] and last["rss_mib"]:
            ratios[label] = round(last["rss_mib"] / first["rss_mib"], 3)
    return (max(ratios.values()) if ratios else None), ratios


class Run:
    """Everything one benchmark run measured."""

    def __init__(self, args: argparse.Namespace, corpus: Corpus) -> None:
        self.args = args
        self.corpus = corpus
        self.limits: dict[int, LimitResult] = {}
        self.limit_after_e2e: LimitResult | None = None
        self.stage: StageResult | None = None
        self.stage_paired: dict[str, Any] | None = None
        self.e2e: EndToEnd | None = None
        self.indexing: Indexing | None = None
        self.indexing_pairs: list[Indexing] = []
        self.indexing_warmup: list[Indexing] = []
        self.rss: dict[str, dict[str, dict[str, Any]] | None] = {}
        self.checkpoints: tuple[int, int] = RSS_CHECKPOINTS
        self.nlp_processes_actual: int | None = None
        self.errors: list[str] = []
        self.warnings: list[str] = []
        self.es_warm_seconds: float | None = None
        self.load_at_start = round(os.getloadavg()[0], 2)  # others' work skews wall clocks

    def measure_limits(self, counts: list[int]) -> None:
        """The limit at each process count not measured yet."""
        todo = sorted(set(counts) - set(self.limits))
        if todo:
            _log(f"limit: raw nlp.pipe in {', '.join(map(str, todo))} process(es)")
            self.limits |= measure_limits(self.in_process_corpus(), todo, self.args.repeats)

    def in_process_corpus(self) -> Corpus:
        """The articles the in-process figures are taken on."""
        n = self.args.in_process_articles
        if not n or n >= len(self.corpus.articles):
            return self.corpus
        return dataclasses.replace(self.corpus, articles=self.corpus.articles[:n],
                                   languages=self.corpus.languages[:n],
                                   records=self.corpus.records[:n])

    def measure(self) -> None:
        """Take every figure (the stack is started only if end to end is on)."""
        self.measure_limits([1, 2, self.args.nlp_processes])
        _log("enrichment stage in process")
        local = self.in_process_corpus()
        self.stage, enriched, enricher = measure_stage(local, self.args.repeats)
        _log("enrichment stage against raw nlp.pipe, in back-to-back pairs")
        self.stage_paired = paired_stage_vs_limit(
            local, enricher, passes=1 if self.args.smoke else PAIRED_PASSES)
        if self.stage.failed:
            self.errors.append(f"enrichment failed for {self.stage.failed} articles")
        if self.args.skip_e2e:
            return
        documents = [document_of(enricher, a) for a in enriched]
        with tempfile.TemporaryDirectory(prefix="newsworker-bench-") as tmp:
            self._through_stack(Path(tmp), enriched, documents)
        if self.nlp_processes_actual:
            self.measure_limits([self.nlp_processes_actual])
            # The VM's speed drifts by tens of percent between minutes: the limit taken
            # minutes before the end-to-end run is not its reference alone. Taken again right
            # after, the two bracket it.
            _log(f"limit again, right after end to end ({self.nlp_processes_actual} process(es))")
            actual = self.nlp_processes_actual
            self.limit_after_e2e = measure_limits(self.in_process_corpus(), [actual],
                                                  self.args.repeats)[actual]

    def _through_stack(self, tmp: Path, enriched: list[Any], documents: list[Any]) -> None:
        n = len(self.corpus.articles)
        if self.args.smoke:
            self.checkpoints = (max(1, n // 10), n)
        timeout = self.args.timeout or 300 + 0.5 * n
        stack = PrivateStack(tmp / "state", self.args.nlp_processes)
        _log("starting a private stack (dev up)")
        stack.up()
        client = StackClient(stack.url("redis"), stack.url("elasticsearch"))
        es = Elasticsearch(stack.url("elasticsearch"), request_timeout=120)
        try:
            self.rss["start"] = stack.rss()
            _log("warming the workers (a few articles, then deleted)")
            warm_stack(client, es, tmp / "warm", self.args.seed)
            self.rss["warm"] = stack.rss()
            _log("warming Elasticsearch (a fresh JVM compiles for its first minute)")
            self.es_warm_seconds = warm_elasticsearch(es, enriched, documents,
                                                      rounds=1 if self.args.smoke else 2)
            self.nlp_processes_actual = stack.nlp_pool_processes()
            if self.nlp_processes_actual != self.args.nlp_processes:
                self.warnings.append(
                    f"asked for {self.args.nlp_processes} NLP processes "
                    f"({NLP_CONCURRENCY_ENV}), the NLP worker runs {self.nlp_processes_actual}")
            _log(f"end to end: {n} articles")
            self.e2e = run_end_to_end(stack, client, es, self.corpus, tmp / "seeds",
                                      self.checkpoints, timeout)
            self.rss |= {f"after_{k}": v for k, v in self.e2e.rss.items()}
            self.rss["end"] = stack.rss()
            pairs = 1 if self.args.smoke else INDEXING_PAIRS
            warmup = 0 if self.args.smoke else INDEXING_WARMUP_PAIRS
            _log(f"indexing: raw bulk vs the index worker, {pairs} back-to-back pair(s) "
                 f"after {warmup} uncounted")
            for n in range(warmup):
                self.indexing_warmup.append(compare_indexing(
                    client, es, enriched, documents, timeout, stage_first=n % 2 == 1))
            for n in range(pairs):
                self.indexing_pairs.append(compare_indexing(
                    client, es, enriched, documents, timeout, stage_first=n % 2 == 1))
            by_ratio = sorted(self.indexing_pairs, key=lambda i: i.raw_seconds / i.stage_seconds)
            self.indexing = by_ratio[len(by_ratio) // 2]
        except Exception as exc:  # report what was measured, and fail
            self.errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            client.close()
            es.close()
            _log("stopping the private stack")
            stack.down()

    @property
    def ok(self) -> bool:
        """No document lost, duplicated or quarantined, nothing broke."""
        return (not self.errors and (self.e2e is None or self.e2e.ok)
                and not any(i.problems for i in self.indexing_pairs + self.indexing_warmup))

    def report(self) -> dict[str, Any]:
        """The one JSON object."""
        limit1, limit2 = self.limits[1], self.limits[2]
        actual = self.nlp_processes_actual or self.args.nlp_processes
        limit_e2e = self.limits.get(actual)
        after = self.limit_after_e2e
        bracket = ((limit_e2e.words_per_s + after.words_per_s) / 2
                   if limit_e2e and after else None)
        e2e = self.e2e.as_dict() if self.e2e else None
        indexing = self.indexing.as_dict() if self.indexing else None
        stage = self.stage.as_dict() if self.stage else None
        first, last = (f"after_{c}" for c in self.checkpoints)
        growth, growth_by_process = rss_growth(self.rss.get(first), self.rss.get(last))
        e2e_words = e2e["words_per_s"] if e2e else None
        return {
            # End to end over the mean of the limit taken before the stack started and again
            # right after it stopped (the same process count); each one alone is reported too.
            "pipeline_vs_limit": _ratio(e2e_words, bracket),
            "pipeline_vs_limit_before": _ratio(e2e_words,
                                               limit_e2e.words_per_s if limit_e2e else None),
            "pipeline_vs_limit_after": _ratio(e2e_words, after.words_per_s if after else None),
            # Paired in one process (see bench.stage.paired_stage_vs_limit): the stage's
            # words/s over raw nlp.pipe's, measured back to back on the same articles.
            "stage_vs_limit": self.stage_paired["ratio"] if self.stage_paired else None,
            "stage_vs_limit_unpaired": _ratio(stage["words_per_s"] if stage else None,
                                              limit1.words_per_s),
            "stage_paired": self.stage_paired,
            "index_vs_raw_bulk": _ratio(indexing["stage_docs_per_s"] if indexing else None,
                                        indexing["raw_bulk_docs_per_s"] if indexing else None),
            "nlp_scaling_2_vs_1": _ratio(limit2.words_per_s, limit1.words_per_s),
            "rss_growth_1k_to_10k": growth,
            "targets": TARGETS,
            "ok": self.ok,
            "errors": self.errors,
            "warnings": self.warnings,
            "corpus": {
                "articles": len(self.corpus.articles), "seed": self.corpus.seed,
                "words": self.corpus.words, "words_by_language": self.corpus.words_by_language(),
                "articles_by_language": {lang: self.corpus.languages.count(lang)
                                         for lang in sorted(set(self.corpus.languages))},
                "word_definition": WORD_DEFINITION,
            },
            "nlp_processes": {"requested": self.args.nlp_processes,
                              "stack_actual": self.nlp_processes_actual,
                              "limit_compared_with_e2e": actual},
            "limit": {str(p): r.as_dict() for p, r in sorted(self.limits.items())},
            "limit_words_per_s": round(limit1.words_per_s, 1),
            "limit_same_processes_words_per_s": (round(limit_e2e.words_per_s, 1)
                                                 if limit_e2e else None),
            "limit_after_e2e": after.as_dict() if after else None,
            "limit_bracketing_e2e_words_per_s": round(bracket, 1) if bracket else None,
            "stage": stage,
            "stage_words_per_s": stage["words_per_s"] if stage else None,
            "e2e": e2e,
            "e2e_words_per_s": e2e["words_per_s"] if e2e else None,
            "e2e_articles_per_s": e2e["articles_per_s"] if e2e else None,
            "latency_p50_s": e2e["latency_p50_s"] if e2e else None,
            "latency_p95_s": e2e["latency_p95_s"] if e2e else None,
            "indexing": indexing,  # the pair with the median ratio
            "elasticsearch_warm_up_seconds": (round(self.es_warm_seconds, 1)
                                              if self.es_warm_seconds else None),
            "indexing_pairs": [{"raw_bulk_docs_per_s": i["raw_bulk_docs_per_s"],
                                "stage_docs_per_s": i["stage_docs_per_s"],
                                "ratio": _ratio(i["stage_docs_per_s"], i["raw_bulk_docs_per_s"]),
                                "problems": i["problems"]}
                               for i in (p.as_dict() for p in self.indexing_pairs)],
            "indexing_warmup_ratios": [
                _ratio(i["stage_docs_per_s"], i["raw_bulk_docs_per_s"])
                for i in (p.as_dict() for p in self.indexing_warmup)],
            "raw_bulk_docs_per_s": indexing["raw_bulk_docs_per_s"] if indexing else None,
            "index_stage_docs_per_s": indexing["stage_docs_per_s"] if indexing else None,
            "rss_checkpoints": list(self.checkpoints),
            "rss": self.rss,
            "rss_growth_by_process": growth_by_process,
            "repeats": self.args.repeats,
            "smoke": self.args.smoke,
            "machine": machine() | {"load_average_1m_at_start": self.load_at_start},
        }


def print_table(report: dict[str, Any]) -> None:
    """A short summary for people."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if not console.is_terminal:
        console = Console(width=150)  # piped or captured: do not wrap at 80 columns
    m, corpus = report["machine"], report["corpus"]
    console.print(f"[bold]newsworker bench[/bold] · {corpus['articles']} articles, "
                  f"{corpus['words']:,} words ({corpus['word_definition']}) · "
                  f"{m['cpu_model']}, {m['cores']} cores, Python {m['python']}, "
                  f"spaCy {m['spacy']}")
    table = Table("figure", "value", "reference", "ratio", "target")
    ratios = {k: report[k] for k in TARGETS}

    def mark(key: str) -> str:
        value, target = ratios[key], TARGETS[key]
        if value is None:
            return "-"
        good = value <= target if key == "rss_growth_1k_to_10k" else value >= target
        return f"{value:.3f} {'[green]ok[/green]' if good else '[red]below[/red]'}"

    limit = report["limit"]
    for p, lim in limit.items():
        langs = ", ".join(f"{k} {v['words_per_s']:,.0f}" for k, v in lim["by_language"].items())
        table.add_row(f"limit: raw nlp.pipe, {p} proc", f"{lim['words_per_s']:,.0f} words/s",
                      langs, "", "")
    table.add_row("NLP scaling 2 vs 1 process", "", "", mark("nlp_scaling_2_vs_1"), "≥ 1.7")
    stage = report["stage"]
    if stage:
        shares = ", ".join(f"{k} {v:.0%}" for k, v in stage["step_shares"].items())
        table.add_row("enrichment stage, in process", f"{stage['words_per_s']:,.0f} words/s",
                      "limit, 1 proc", mark("stage_vs_limit"), "≥ 0.9")
        table.add_row("  step shares", shares, "", "", "")
        parts = ", ".join(f"{k} {v:.0%}" for k, v in stage["ner_part_shares"].items())
        table.add_row("  NER parts (shares of the stage)", parts, "", "", "")
    e2e = report["e2e"]
    if e2e:
        nlp = report["nlp_processes"]["limit_compared_with_e2e"]
        bracket = report["limit_bracketing_e2e_words_per_s"]
        reference = (f"limit, {nlp} proc, before/after mean {bracket:,.0f}" if bracket
                     else f"limit, {nlp} proc")
        table.add_row("end to end", f"{e2e['words_per_s']:,.0f} words/s, "
                      f"{e2e['articles_per_s']:.1f} articles/s", reference,
                      mark("pipeline_vs_limit"), "≥ 0.8")
        table.add_row("  latency per article", f"p50 {e2e['latency_p50_s']} s, "
                      f"p95 {e2e['latency_p95_s']} s", "enqueue → indexed_at", "", "")
        table.add_row("  counts", f"sent {e2e['sent']}, indexed {e2e['indexed']}, in index "
                      f"{e2e['indexed_count']}, dup {e2e['duplicates']}, "
                      f"quarantined {e2e['quarantined']}",
                      "[green]ok[/green]" if e2e["ok"] else "[red]FAILED[/red]", "", "")
    indexing = report["indexing"]
    if indexing:
        table.add_row("indexing stage (index worker)", f"{indexing['stage_docs_per_s']:,.0f} "
                      "docs/s", f"raw bulk {indexing['raw_bulk_docs_per_s']:,.0f} docs/s",
                      mark("index_vs_raw_bulk"), "≥ 0.9")
        pairs = ", ".join(f"{p['ratio']:.2f}" for p in report["indexing_pairs"])
        table.add_row("  pairs (median reported)", pairs, "", "", "")
    first, last = report["rss_checkpoints"]
    table.add_row(f"RSS growth {first} → {last} articles (worst process)", "", "",
                  mark("rss_growth_1k_to_10k"), "≤ 1.10")
    console.print(table)
    snapshots = {point: snapshot or {} for point, snapshot in report["rss"].items()}
    labels = sorted({label for snapshot in snapshots.values() for label in snapshot})
    if labels:
        rss = Table("worker process: RSS MiB", *snapshots)
        for label in labels:
            cells = [s.get(label, {}).get("rss_mib") for s in snapshots.values()]
            rss.add_row(label, *("-" if c is None else f"{c:.0f}" for c in cells))
        console.print(rss)
    for error in report["errors"] + ((e2e or {}).get("problems") or []) + \
            [problem for pair in report["indexing_pairs"] for problem in pair["problems"]]:
        console.print(f"[red]problem:[/red] {error}")
    for warning in report["warnings"]:
        console.print(f"[yellow]warning:[/yellow] {warning}")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; 0 when no document was lost, duplicated or quarantined."""
    args = parse_args(argv)
    _log(f"building the corpus: {args.articles} articles (seed {args.seed})")
    run = Run(args, build_corpus(args.articles, args.seed))
    try:
        run.measure()
    except Exception as exc:
        run.errors.append(f"{type(exc).__name__}: {exc}")
        if not run.limits or 1 not in run.limits or 2 not in run.limits:
            raise
    report = run.report()
    if args.json:
        sys.stdout.write(json.dumps(report, ensure_ascii=False) + "\n")
    else:
        print_table(report)
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
