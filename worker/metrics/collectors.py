"""What the endpoint serves: the pool's multiprocess files, queue depth read at scrape time,
and this process's memory; plus the bookkeeping of the shared folder (stale and dead pids)."""

from __future__ import annotations

import os
import re
import resource
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path

import structlog
from prometheus_client import REGISTRY, CollectorRegistry, multiprocess
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from worker.metrics import definitions as m

log = structlog.get_logger(__name__)
QueueDepths = Callable[[], Mapping[str, int]]
_LIVE_GAUGE_FILE = re.compile(r"^gauge_live\w+?_(\d+)\.db$")


class QueueDepthCollector(Collector):
    """Messages waiting in each queue, asked of the broker at every scrape."""

    def __init__(self, depths: QueueDepths) -> None:
        self._depths = depths

    def collect(self) -> Iterator[Metric]:
        """One gauge sample per queue; none while the broker cannot be asked."""
        family = GaugeMetricFamily(m.QUEUE_DEPTH, "Messages waiting in each Celery queue.",
                                   labels=["queue"])
        try:
            depths = self._depths()
        except Exception as exc:  # the broker is away: the rest of the scrape still counts
            log.warning("queue depth unavailable", error=str(exc))
            depths = {}
        for queue, n in sorted(depths.items()):
            family.add_metric([queue], n)
        yield family


class ProcessRefresh(Collector):
    """Before the files are read: this process's RSS, and dead processes' gauges dropped."""

    def __init__(self, folder: str | None) -> None:
        self._folder = folder

    def collect(self) -> Iterator[Metric]:
        """Updates values, yields nothing (registered before the collector that reads them)."""
        refresh_rss()
        if self._folder:
            forget_dead(self._folder)
        return iter(())


def rss_bytes() -> int:
    """Resident memory of this process now (Linux), else its peak."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE")
    except (OSError, IndexError, ValueError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def refresh_rss() -> None:
    """Record this process's RSS (a no-op-safe call for pool processes after each task)."""
    try:
        m.WORKER_RSS.set(rss_bytes())
    except Exception as exc:
        log.warning("rss not recorded", error=str(exc))


def stale_files(names: Iterable[str], keep_pid: int) -> list[str]:
    """Value files of earlier runs: every ``*.db`` not written by ``keep_pid``."""
    return sorted(n for n in names if n.endswith(".db") and not n.endswith(f"_{keep_pid}.db"))


def clean_folder(folder: str, keep_pid: int) -> int:
    """Remove an earlier run's values (this process's own files are already open); how many."""
    stale = stale_files(os.listdir(folder), keep_pid)
    for name in stale:
        Path(folder, name).unlink(missing_ok=True)
    return len(stale)


def live_gauge_pids(names: Iterable[str]) -> set[int]:
    """Pids that have per-process ("live") gauge files in the folder."""
    return {int(match.group(1)) for n in names if (match := _LIVE_GAUGE_FILE.match(n))}


def pid_alive(pid: int) -> bool:
    """True while a process with this pid exists."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def forget_dead(folder: str, alive: Callable[[int], bool] = pid_alive) -> list[int]:
    """Drop the live gauges of processes that died without saying so (killed children)."""
    dead = sorted(pid for pid in live_gauge_pids(os.listdir(folder)) if not alive(pid))
    for pid in dead:
        multiprocess.mark_process_dead(pid, folder)  # type: ignore[no-untyped-call]
    return dead


def scrape_registry(folder: str | None, depths: QueueDepths) -> CollectorRegistry:
    """The registry the endpoint serves: the pool's files if multiprocess, else this process."""
    registry = CollectorRegistry()
    registry.register(ProcessRefresh(folder))
    if folder is None:
        registry.register(REGISTRY)
    else:
        multiprocess.MultiProcessCollector(registry, path=folder)  # type: ignore[no-untyped-call]
    registry.register(QueueDepthCollector(depths))
    return registry
