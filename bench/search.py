"""`python bench/search.py`: what the index answers, how fast, and how big it grows.

Ingests ``--articles`` generated articles (the benchmark corpus: English, Indonesian, French
news) plus the multilingual search fixture through a private stack (real workers), then runs
every kind of query the CLI and the API offer ``--repeats`` times through SearchService and
prints the median and p95 latency of each (Elasticsearch's `took` and the round trip), the
bytes per document of the articles index (primary store after a flush and merge) and the
growth per million articles, and the mapping's field count.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # `python bench/search.py` from anywhere
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from elasticsearch import Elasticsearch

from bench.corpus import generated_record
from bench.stack import PrivateStack
from worker.index.connection import elasticsearch_client
from worker.index.store import ElasticStore
from worker.search.request import SearchRequest
from worker.search.service import SearchService
from worker.settings import PROJECT_ROOT, Settings

FIXTURE = PROJECT_ROOT / "tests" / "fixtures" / "search" / "multilingual.jsonl"


def _log(message: str) -> None:
    sys.stderr.write(f"[search-bench {time.strftime('%H:%M:%S')}] {message}\n")


def write_corpus(folder: Path, n: int, seed: int) -> int:
    """JSONL seed files of ``n`` generated articles plus the fixture; returns the article count."""
    per_file = 200
    for start in range(0, n, per_file):
        lines = [json.dumps(generated_record(i, seed)[1], ensure_ascii=False)
                 for i in range(start, min(n, start + per_file))]
        (folder / f"bench-{start:06d}.jsonl").write_text("\n".join(lines) + "\n", "utf-8")
    (folder / FIXTURE.name).write_text(FIXTURE.read_text("utf-8"), "utf-8")
    return n + len(FIXTURE.read_text("utf-8").splitlines())


def queries(service: SearchService) -> dict[str, Callable[[], Any]]:
    """One callable per kind of query, with values taken from what the index holds."""
    top = service.facets(SearchRequest(), size=3)
    person = top["entities"]["PER"][0]["value"]
    place = top["entities"]["LOC"][0]["value"]
    some = service.search(SearchRequest(q=person, size=2))
    first_page = service.search(SearchRequest(sort="newest", size=10))
    article_id = some["hits"][0]["id"]
    return {
        "full text, one word (highlighted)": lambda: service.search(SearchRequest(q="election")),
        "full text, stemmed Indonesian": lambda: service.search(SearchRequest(q="setuju")),
        "full text + entity filter": lambda: service.search(
            SearchRequest(q="minister", entities=[f"PER:{person}"])),
        "entity filter, newest first": lambda: service.search(
            SearchRequest(entities=[place], sort="newest")),
        "cross-language entity (Syria)": lambda: service.search(
            SearchRequest(entities=["Syria"])),
        "language + date range": lambda: service.search(SearchRequest(
            languages=["id"], date_from="2024-03-01", date_to="2024-09-30")),
        "next page (search_after)": lambda: service.search(
            SearchRequest(sort="newest", size=10, after=first_page["next"])),
        "facets, all articles": lambda: service.facets(SearchRequest()),
        "facets, one entity": lambda: service.facets(SearchRequest(entities=[place])),
        "co-occurring entities (counts)": lambda: service.cooccurring(place, SearchRequest()),
        "co-occurring entities (significant)": lambda: service.cooccurring(
            place, SearchRequest(), significant=True),
        "more like this": lambda: service.similar(article_id),
    }


def measure(call: Callable[[], Any], repeats: int) -> dict[str, float]:
    """Median and p95 of Elasticsearch's `took` and of the round trip, in ms."""
    call()  # warm caches: the figures are for a searching user, not a cold node
    took, trip = [], []
    for _ in range(repeats):
        result = call()
        timing = (result or {}).get("took_ms") or {}
        took.append(float(timing.get("elasticsearch", 0)))
        trip.append(float(timing.get("round_trip", 0)))

    def p95(values: list[float]) -> float:
        return sorted(values)[max(0, round(0.95 * len(values)) - 1)]

    return {"es_median_ms": statistics.median(took), "es_p95_ms": p95(took),
            "round_trip_median_ms": statistics.median(trip), "round_trip_p95_ms": p95(trip)}


def index_size(es: Elasticsearch, alias: str) -> dict[str, Any]:
    """Bytes per document of the primary store, after a flush and a merge to one segment."""
    es.indices.flush(index=alias)
    es.indices.forcemerge(index=alias, max_num_segments=1)
    stats = es.indices.stats(index=alias, metric=["docs", "store"])["_all"]["primaries"]
    docs, size = int(stats["docs"]["count"]), int(stats["store"]["size_in_bytes"])
    mapping = es.indices.get_mapping(index=alias)
    fields = max(json.dumps(m["mappings"]).count('"type"') for m in mapping.values())
    return {"documents": docs, "store_bytes": size, "bytes_per_document": round(size / docs),
            "gib_per_million_documents": round(size / docs * 1e6 / 2**30, 2),
            "mapped_fields": fields}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="newsworker-search-bench-") as tmp:
        stack = PrivateStack(Path(tmp) / "state", nlp_processes=1)
        _log("starting a private stack")
        stack.up()
        try:
            corpus = Path(tmp) / "corpus"
            corpus.mkdir()
            expected = write_corpus(corpus, args.articles, args.seed)
            _log(f"ingesting {expected} articles through the workers")
            proc = stack.cli("ingest", str(corpus), "--wait", "--timeout", "3600", "--json",
                             timeout=3700)
            summary = json.loads(proc.stdout.strip().splitlines()[-1])
            if summary["indexed"] + summary["duplicates"] != expected:
                _log(f"not every article was indexed: {summary}")
                return 1
            es_url = stack.url("elasticsearch")
            settings = Settings(elasticsearch_url=es_url)
            es = elasticsearch_client(settings)
            size = index_size(es, settings.articles_alias)
            service = SearchService.from_config(ElasticStore(settings), settings.config_dir)
            _log(f"timing {args.repeats} runs of each query")
            latency = {name: measure(call, args.repeats)
                       for name, call in queries(service).items()}
        finally:
            stack.down()
    report = {"articles": size["documents"], "index": size, "latency": latency}
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"{size['documents']} articles: {size['bytes_per_document']} bytes/document "
          f"({size['gib_per_million_documents']} GiB per million), "
          f"{size['mapped_fields']} mapped fields")
    print(f"{'query':40} {'es p50':>8} {'es p95':>8} {'trip p50':>9} {'trip p95':>9}  (ms)")
    for name, t in latency.items():
        print(f"{name:40} {t['es_median_ms']:8.1f} {t['es_p95_ms']:8.1f} "
              f"{t['round_trip_median_ms']:9.1f} {t['round_trip_p95_ms']:9.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
