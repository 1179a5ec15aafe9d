"""Garbage-collector settings of worker processes.

A batch of 64 enriched articles is some 100,000 small objects (mentions, entities, dicts)
that live until the batch is written. With CPython's default gen-0 threshold of 700 every
batch triggers hundreds of collections, and the older generations are scanned over and over:
measured on the index stage, validating a batch's envelopes took 3-4 times longer with the
default thresholds than without collections. Reference cycles are rare in this code, so
collections are made rare too, and what exists once a worker has started (modules, models,
tables) is frozen out of every later scan, which also keeps the pages a prefork pool shares
with its parent untouched by the collector.
"""

from __future__ import annotations

import gc

# The older generations' ratios; the gen-0 threshold is a setting (worker_gc_threshold).
GEN1_RATIO = 20
GEN2_RATIO = 100


def tune(gen0_threshold: int) -> tuple[int, int, int]:
    """Freeze what exists now and collect every ``gen0_threshold`` allocations from here on
    (0: keep the interpreter's thresholds); returns the thresholds in force."""
    gc.collect()  # do not freeze garbage
    gc.freeze()
    thresholds = (gen0_threshold, GEN1_RATIO, GEN2_RATIO) if gen0_threshold > 0 \
        else gc.get_threshold()
    gc.set_threshold(*thresholds)
    return thresholds
