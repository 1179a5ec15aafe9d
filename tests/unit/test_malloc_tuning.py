"""A worker process gives freed batch memory back instead of holding its last peak."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from worker.queue.malloc_tuning import tune

# In a fresh interpreter (allocator state is per process): a 30 MiB block freed raises glibc's
# dynamic thresholds as an NLP batch's arrays do; then 50 MiB of 1 MiB blocks are made and
# freed. Prints how much of that the process still holds (MiB).
_PROBE = textwrap.dedent("""
    import sys
    from worker.queue.malloc_tuning import tune
    def rss():
        status = open("/proc/self/status").read().splitlines()
        return next(int(l.split()[1]) for l in status if l.startswith("VmRSS")) // 1024
    if sys.argv[1] == "tuned":
        assert tune(4 << 20, 32 << 20)
    big = b"x" * (30 << 20)
    del big
    base = rss()
    blocks = [b"y" * (1 << 20) for _ in range(50)]
    del blocks
    print(rss() - base)
""")


def _held_mib(mode: str) -> int:
    out = subprocess.run([sys.executable, "-c", _PROBE, mode], capture_output=True, text=True,
                         check=True)
    return int(out.stdout.strip())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc and /proc only")
def test_freed_batch_memory_goes_back_to_the_system_once_tuned() -> None:
    assert _held_mib("default") >= 40  # glibc's dynamic trim threshold keeps it
    assert _held_mib("tuned") <= 5


def test_zero_keeps_glibcs_own_thresholds() -> None:
    assert tune(0, 32 << 20) is False and tune(4 << 20, 0) is False
