"""Worker processes collect garbage rarely and leave their start-up objects alone."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from worker.queue import gc_tuning


@pytest.fixture
def restore_gc() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


@pytest.mark.usefixtures("restore_gc")
def test_tune_freezes_what_exists_and_raises_the_thresholds() -> None:
    assert gc_tuning.tune(40_000) == (40_000, gc_tuning.GEN1_RATIO, gc_tuning.GEN2_RATIO)
    assert gc.get_threshold()[0] == 40_000
    assert gc.get_freeze_count() > 1000  # this process's modules are out of every scan


@pytest.mark.usefixtures("restore_gc")
def test_zero_keeps_the_interpreter_thresholds() -> None:
    before = gc.get_threshold()
    assert gc_tuning.tune(0) == before
