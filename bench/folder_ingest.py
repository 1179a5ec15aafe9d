"""`ingest DIR --wait` on a folder of one-article files, the way a new user tries it.

Usage: python bench/folder_ingest.py [N_ARTICLES] [--language en]   (default 300, English)

Writes N generated articles of the bench corpus (``title``, blank line, body) one per
``.txt`` file, starts a private dev stack, ingests one file to warm the models, then times
the folder from the `ingest` call until the job is done; prints words/s and articles/s.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from bench.corpus import generated_record
from bench.stack import PrivateStack


def write_folder(folder: Path, n: int, language: str) -> int:
    """``n`` one-article files of ``language``; their whitespace words."""
    folder.mkdir(parents=True)
    words = written = index = 0
    while written < n:
        lang, record = generated_record(index)
        index += 1
        if lang != language:
            continue
        text = f"{record['title']}\n\n{record['body']}\n"
        words += len(text.split())
        (folder / f"story_{written:05d}.txt").write_text(text, "utf-8")
        written += 1
    return words


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("articles", nargs="?", type=int, default=300)
    parser.add_argument("--language", default="en")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="newsworker-folder-bench-") as tmp:
        root = Path(tmp)
        words = write_folder(root / "corpus", args.articles, args.language)
        stack = PrivateStack(root / "state", nlp_processes=1)
        stack.up()
        try:
            warm = root / "warm"
            warm.mkdir()
            (warm / "warm.txt").write_text("Warm up\n\nThe mayor of Rotterdam spoke.\n")
            stack.cli("ingest", str(warm), "--wait", "--json")
            started = time.monotonic()
            proc = stack.cli("ingest", str(root / "corpus"), "--wait", "--json",
                             "--timeout", "3600", timeout=3700)
            seconds = time.monotonic() - started
        finally:
            stack.down()
    summary = json.loads(proc.stdout)
    done = summary["indexed"] + summary["duplicates"] + summary["updated"]
    print(json.dumps({
        "articles": args.articles, "words": words, "seconds": round(seconds, 1),
        "words_per_s": round(words / seconds), "articles_per_s": round(done / seconds, 1),
        "indexed": summary["indexed"], "quarantined": summary["quarantined"],
    }))
    if summary["indexed"] != args.articles:
        raise SystemExit(f"indexed {summary['indexed']} of {args.articles}")


if __name__ == "__main__":
    main()
