"""glibc malloc settings of worker processes: memory that stays flat, not a sawtooth.

By default glibc raises its mmap threshold to the largest block freed so far (up to 32 MiB)
and keeps up to twice that free at the top of the heap. An NLP process allocates arrays of
tens of megabytes per batch (a batch of 128 articles is some 80,000 tokens), so after the
first batches they all come from the heap, and the heap's top held whatever the last peak
left: the NLP child's RSS swung by 25 MiB from one batch to the next (547, 573, 549, 573 MiB
over 2,048 articles), which is most of what the 1,000 → 10,000-article RSS figure measured.
A fixed mmap threshold of 32 MiB keeps those arrays on the heap (fast; 128 KiB made NLP 25 %
slower) and a fixed 16 MiB trim threshold returns the heap's free top to the system: the same
run stayed at 552-554 MiB (548-553 with 4 MiB, which trims and faults pages in more often).
"""

from __future__ import annotations

import ctypes
import ctypes.util

import structlog

log = structlog.get_logger(__name__)

# mallopt parameters (malloc.h).
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3


def tune(trim_threshold: int, mmap_threshold: int) -> bool:
    """Fix glibc's trim and mmap thresholds (bytes) in this process and the processes it
    forks; 0 for either keeps glibc's dynamic thresholds. False where there is no glibc."""
    if trim_threshold <= 0 or mmap_threshold <= 0:
        return False
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        mallopt = libc.mallopt if libc is not None else None
    except (OSError, AttributeError):
        mallopt = None
    if mallopt is None:  # musl, macOS: their allocators have no such knobs
        log.info("malloc thresholds not set: no glibc mallopt")
        return False
    ok = bool(mallopt(M_MMAP_THRESHOLD, mmap_threshold)) and bool(
        mallopt(M_TRIM_THRESHOLD, trim_threshold))
    if not ok:
        log.warning("malloc thresholds refused", trim=trim_threshold, mmap=mmap_threshold)
    return ok
