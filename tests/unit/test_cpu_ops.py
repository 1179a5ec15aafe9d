"""Workers run the NER models through numpy's BLAS on one thread, unless told otherwise."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json
from threadpoolctl import threadpool_info
from worker.enrich.pipelines import NlpConfig, load_pipeline
from worker.settings import get_settings
nlp = load_pipeline("id", NlpConfig.from_settings(get_settings()))
ops = {name: bool(pipe.model.ops.use_blis) for name, pipe in nlp.pipeline if hasattr(pipe, "model")}
threads = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
doc = nlp("Presiden Joko Widodo berkunjung ke Bandung.")
print(json.dumps({"blis": ops, "threads": threads, "ents": [e.text for e in doc.ents]}))
"""


def probe(**env: str) -> dict[str, object]:
    """Load the Indonesian pipeline in a fresh process (ops are fixed when a model is built)."""
    clean = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    out = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=clean | env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def test_models_multiply_through_numpy_blas_with_one_thread() -> None:
    result = probe()
    assert result["blis"] == {"tok2vec": False, "ner": False}
    assert result["threads"] and set(result["threads"]) == {1}  # type: ignore[arg-type]
    assert "Joko Widodo" in result["ents"]  # type: ignore[operator]


def test_blis_and_thread_count_are_settings() -> None:
    result = probe(NEWSWORKER_NLP_USE_BLIS="true", NEWSWORKER_NLP_BLAS_THREADS="2")
    assert result["blis"] == {"tok2vec": True, "ner": True}
    # OpenBLAS never runs more threads than the machine has cores
    assert set(result["threads"]) == {min(2, os.cpu_count() or 1)}  # type: ignore[arg-type]
