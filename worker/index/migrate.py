"""Zero-downtime mapping changes: copy the articles into the next index version behind the alias.

The alias ``A`` goes through these states (``vN`` is the index ``A-00000N``):

1. steady: A → vN (write).
2. vN+1 is created from the template just installed from the config folder; it is outside the
   alias, so nothing writes there yet.
3. vN is write-blocked (the block waits for writes in flight; later ones get 403 and are
   retried by ingestion), then one ``_aliases`` call makes A → vN (read), vN+1 (write).
   Ingestion reads both, preferring vN+1's copy, and writes only to vN+1.
4. vN, now final, is refreshed and copied into vN+1 with ``create``: a 409 means ingestion
   already wrote a newer version of that id there, and the copy skips it.
5. Once every document of vN is accounted for (copied + skipped == its count), one call makes
   A → vN+1 again, and vN is deleted (or kept, outside the alias).

Each run looks at what exists and resumes: an alias with older indices beside its write index
is in state 4; a newer index outside the alias was left between 2 and 3. Planning is pure;
the functions after it do the I/O.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import structlog
from elasticsearch import ApiError, Elasticsearch, NotFoundError

from worker.index.documents import with_derived_fields
from worker.index.layout import load_layout
from worker.index.store import ElasticStore
from worker.index.writes import AliasView

log = structlog.get_logger(__name__)

VERSION_DIGITS = 6
MAX_FAILURES_KEPT = 10
_RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})

CopyMethod = Literal["reindex", "scroll"]


class MigrationError(Exception):
    """The migration cannot go on from what the cluster holds; nothing was lost."""


# --- planning (pure) ---------------------------------------------------------------------


def version_of(alias: str, index: str) -> int | None:
    """The version number of ``{alias}-000042`` (42); None for any other name."""
    tail = index.removeprefix(f"{alias}-")
    return int(tail) if tail != index and tail.isdigit() else None


def index_name(alias: str, version: int) -> str:
    """The index of one version: ``news-articles-000002``."""
    return f"{alias}-{version:0{VERSION_DIGITS}d}"


def next_index_name(alias: str, existing: Iterable[str]) -> str:
    """One version above every version that exists, in the alias or not (kept old ones too)."""
    versions = [v for name in existing if (v := version_of(alias, name)) is not None]
    return index_name(alias, max(versions, default=0) + 1)


@dataclass(frozen=True)
class IndexInfo:
    """One version of the articles index as the cluster has it."""

    name: str
    version: int
    docs: int
    aliases: tuple[str, ...] = ()
    write_blocked: bool = False
    schema_version: int | None = None


@dataclass(frozen=True)
class Observed:
    """What exists now: the alias and every version of the articles index."""

    alias: str
    view: AliasView
    indices: tuple[IndexInfo, ...] = ()

    def info(self, name: str) -> IndexInfo | None:
        """The index called ``name``, if it exists."""
        return next((i for i in self.indices if i.name == name), None)

    @property
    def write_index(self) -> str | None:
        """The alias's write index; the newest member when none is flagged."""
        return self.view.write_index or (self.view.indices[-1] if self.view.indices else None)

    @property
    def older(self) -> tuple[str, ...]:
        """The alias's other members: sources of a migration that has switched already."""
        return tuple(i for i in self.view.indices if i != self.write_index)

    def leftovers(self) -> list[IndexInfo]:
        """Versions newer than the write index but outside the alias: a run stopped at 2–3."""
        write = self.write_index
        floor = (version_of(self.alias, write) or 0) if write else 0
        return [i for i in self.indices if i.version > floor and i.name not in self.view.indices]


@dataclass(frozen=True)
class MigrationPlan:
    """What this run does: the version that ends as the write index, and what it copies."""

    alias: str
    target: str
    sources: tuple[str, ...]
    create_target: bool
    recreate_target: bool = False
    resumed: bool = False


def plan_migration(observed: Observed) -> MigrationPlan:
    """Start a migration to the next version, or finish the one a previous run left."""
    alias, view, write = observed.alias, observed.view, observed.write_index
    if write is None:
        raise MigrationError(f"alias {alias} does not exist")
    if observed.older:
        # Switched already (state 4): finish copying the older members into the write index.
        return MigrationPlan(alias, write, observed.older, create_target=False, resumed=True)
    if leftovers := observed.leftovers():
        newest = max(leftovers, key=lambda i: i.version)
        if newest.docs:
            raise MigrationError(
                f"{newest.name} is newer than {write} and outside the alias but holds "
                f"{newest.docs} documents: add it to the alias or delete it, then run again"
            )
        # Stopped before the switch: make it again, so that it has today's template.
        return MigrationPlan(alias, newest.name, (write,), create_target=True,
                             recreate_target=True, resumed=True)
    blocked = bool((info := observed.info(write)) and info.write_blocked)
    target = next_index_name(alias, [*view.indices, *(i.name for i in observed.indices)])
    return MigrationPlan(alias, target, (write,), create_target=True, resumed=blocked)


def switch_actions(plan: MigrationPlan) -> list[dict[str, Any]]:
    """One atomic ``_aliases`` call: the target takes writes, the sources stay readable."""
    return [{"add": {"index": plan.target, "alias": plan.alias, "is_write_index": True}}] + [
        {"add": {"index": source, "alias": plan.alias, "is_write_index": False}}
        for source in plan.sources
    ]


def finish_actions(plan: MigrationPlan) -> list[dict[str, Any]]:
    """One atomic ``_aliases`` call: the alias keeps only the target."""
    return [{"remove": {"index": source, "alias": plan.alias}} for source in plan.sources]


@dataclass(frozen=True)
class MigrationState:
    """Whether a migration is under way, for `index status`."""

    state: Literal["steady", "copying", "interrupted"]
    detail: str

    @property
    def in_progress(self) -> bool:
        """Anything but steady."""
        return self.state != "steady"


def describe(observed: Observed) -> MigrationState:
    """The alias's state in words, and what to do about it."""
    write = observed.write_index
    if observed.older:
        return MigrationState("copying", f"{', '.join(observed.older)} readable beside the "
                              f"write index {write}; `index migrate` finishes the copy")
    if leftovers := observed.leftovers():
        names = ", ".join(i.name for i in leftovers)
        return MigrationState("interrupted", f"{names} created but not switched to; "
                              "`index migrate` resumes")
    info = observed.info(write) if write else None
    if info and info.write_blocked:
        return MigrationState("interrupted", f"writes to {write} are blocked; "
                              "`index migrate` resumes")
    return MigrationState("steady", f"{write} takes every write" if write else "no alias")


@dataclass
class CopyCounts:
    """What copying one source index did."""

    source: str
    method: CopyMethod
    expected: int
    copied: int = 0
    skipped_newer: int = 0
    failed: int = 0
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def complete(self) -> bool:
        """Every document of the source is in the target (copied, or a newer write there)."""
        return self.failed == 0 and self.copied + self.skipped_newer == self.expected

    @property
    def docs_per_s(self) -> float:
        """Documents handled per second of copying."""
        return round((self.copied + self.skipped_newer) / self.seconds, 1) if self.seconds else 0.0

    def fail(self, reasons: Mapping[str, str]) -> None:
        """Count failed documents, keeping the first few reasons."""
        self.failed += len(reasons)
        room = MAX_FAILURES_KEPT - len(self.failures)
        self.failures += [f"{doc_id}: {reason}" for doc_id, reason in reasons.items()][:room]


@dataclass(frozen=True)
class ItemResults:
    """One bulk of ``create`` copies, item by item."""

    copied: int
    skipped_newer: int
    retry: tuple[str, ...]
    failed: dict[str, str]


def classify_copy_items(items: Iterable[dict[str, Any]]) -> ItemResults:
    """201 copied; 409 the target holds that id already (newer); 429/5xx again; else failed."""
    copied, skipped, retry, failed = 0, 0, [], {}
    for item in items:
        result = item["create"]
        status = result["status"]
        if status == 201:
            copied += 1
        elif status == 409:
            skipped += 1
        elif status in _RETRYABLE_STATUSES:
            retry.append(result["_id"])
        else:
            error = result.get("error", {})
            failed[result["_id"]] = f"{error.get('type', status)}: {error.get('reason', '')}"
    return ItemResults(copied, skipped, tuple(retry), failed)


def counts_from_reindex(source: str, expected: int, task: dict[str, Any]) -> CopyCounts:
    """The counts of a finished reindex task (``GET _tasks/ID``)."""
    response = task.get("response") or {}
    counts = CopyCounts(source, "reindex", expected, copied=int(response.get("created", 0)),
                        skipped_newer=int(response.get("version_conflicts", 0)),
                        seconds=int(response.get("took", 0)) / 1000)
    counts.fail({str(f.get("id")): f"{f.get('cause', {}).get('type')}: "
                 f"{f.get('cause', {}).get('reason')}" for f in response.get("failures", [])})
    if "error" in task:
        counts.failures.append(f"task: {task['error'].get('reason')}")
    return counts


def reindex_available(nodes_info: dict[str, Any]) -> bool:
    """Every node has the reindex module (``GET _nodes/plugins``)."""
    nodes = nodes_info.get("nodes") or {}
    return bool(nodes) and all(
        any(m.get("name") == "reindex" for m in node.get("modules", []))
        for node in nodes.values()
    )


@dataclass
class MigrationReport:
    """What a run did, for people and --json."""

    alias: str
    target: str
    sources: tuple[str, ...]
    resumed: bool
    method: CopyMethod
    copies: list[CopyCounts] = field(default_factory=list)
    durations_s: dict[str, float] = field(default_factory=dict)
    old_indices: Literal["deleted", "kept", "in alias"] = "in alias"

    @property
    def complete(self) -> bool:
        """Every source fully accounted for."""
        return all(c.complete for c in self.copies)

    def as_dict(self) -> dict[str, Any]:
        """Plain data, with totals."""
        data = asdict(self)
        seconds = sum(c.seconds for c in self.copies)
        handled = sum(c.copied + c.skipped_newer for c in self.copies)
        data |= {
            "copied": sum(c.copied for c in self.copies),
            "skipped_newer": sum(c.skipped_newer for c in self.copies),
            "failed": sum(c.failed for c in self.copies),
            "docs_per_s": round(handled / seconds, 1) if seconds else 0.0,
            "complete": self.complete,
        }
        return data


# --- reading the cluster -----------------------------------------------------------------


def observe(store: ElasticStore) -> Observed:
    """The alias and every version of the articles index, with counts, blocks and schema."""
    alias, client = store.alias, store.client
    found = client.indices.get(index=f"{alias}-*")
    infos = []
    for name, body in sorted(found.items()):
        version = version_of(alias, name)
        if version is None:
            continue
        blocks = body.get("settings", {}).get("index", {}).get("blocks", {})
        infos.append(IndexInfo(
            name, version, int(client.count(index=name)["count"]),
            aliases=tuple(sorted(body.get("aliases", {}))),
            write_blocked=str(blocks.get("write")).lower() == "true",
            schema_version=body.get("mappings", {}).get("_meta", {}).get("schema_version"),
        ))
    return Observed(alias, store.alias_view(), tuple(infos))


def index_status(store: ElasticStore) -> dict[str, Any]:
    """Versions, the write index, aliases, counts, schema versions, migration state."""
    observed = observe(store)
    try:
        installed = store.client.indices.get_index_template(name=store.alias)
        meta = installed["index_templates"][0]["index_template"].get("_meta", {})
    except NotFoundError:
        meta = {}
    state = describe(observed)
    return {
        "alias": observed.alias,
        "write_index": observed.view.write_index,
        "write_version": version_of(observed.alias, observed.view.write_index or ""),
        "alias_indices": list(observed.view.indices),
        "indices": [asdict(i) | {"in_alias": i.name in observed.view.indices,
                                 "is_write_index": i.name == observed.view.write_index}
                    for i in observed.indices],
        "template_schema_version": meta.get("schema_version"),
        "config_schema_version": store.articles_template().get("_meta", {}).get(
            "schema_version"),
        "migration": {"in_progress": state.in_progress, "state": state.state,
                      "detail": state.detail},
    }


def needs_derived_fields(observed: Observed, plan: MigrationPlan, schema: int | None) -> bool:
    """Whether a source was written under an older schema than the template's (pure)."""
    versions = [info.schema_version or 1 for name in plan.sources
                if (info := observed.info(name)) is not None]
    return schema is not None and any(v < schema for v in versions)


def _schema_version(store: ElasticStore) -> int | None:
    version = store.articles_template().get("_meta", {}).get("schema_version")
    return int(version) if version is not None else None


def copy_method(client: Elasticsearch) -> CopyMethod:
    """Reindex where every node has the module (the full distribution); else our own copy."""
    info = client.nodes.info(metric="plugins", filter_path="nodes.*.modules.name")
    return "reindex" if reindex_available(dict(info)) else "scroll"


# --- the steps ---------------------------------------------------------------------------


def prepare(store: ElasticStore) -> MigrationPlan:
    """Install the templates from config (the new mapping), then plan from what exists."""
    store.ensure_indices()
    plan = plan_migration(observe(store))
    log.info("migrate.plan", target=plan.target, sources=plan.sources, resumed=plan.resumed)
    return plan


def switch_writes(store: ElasticStore, plan: MigrationPlan) -> float:
    """States 2–3: create the target, block the sources, move writes; seconds writes waited."""
    client = store.client
    if plan.recreate_target:
        client.indices.delete(index=plan.target)
    if plan.create_target:
        try:
            client.indices.create(index=plan.target, mappings=store.version_mapping())
        except ApiError as exc:
            if exc.error == "resource_already_exists_exception":
                raise MigrationError(f"{plan.target} appeared meanwhile: is another "
                                     "migration running? run again to resume") from exc
            raise
    start = time.monotonic()
    # The block returns once writes in flight are done: the sources are final from here on.
    client.indices.add_block(index=",".join(plan.sources), block="write")
    client.indices.update_aliases(actions=switch_actions(plan))
    return time.monotonic() - start


def copy_all(store: ElasticStore, plan: MigrationPlan, method: CopyMethod) -> list[CopyCounts]:
    """State 4: every source into the target, ``create`` only (never over a newer write)."""
    client, copies = store.client, []
    layout = load_layout(store.settings.config_dir)
    for source in plan.sources:
        client.indices.refresh(index=source)  # writes before the block become visible
        expected = int(client.count(index=source)["count"])
        if method == "reindex":
            counts = reindex_copy(client, source, plan.target, expected)
        else:
            counts = scroll_copy(client, source, plan.target, expected,
                                 transform=functools.partial(with_derived_fields, layout=layout))
        log.info("migrate.copied", source=source, copied=counts.copied,
                 skipped_newer=counts.skipped_newer, failed=counts.failed)
        copies.append(counts)
    return copies


def finish(store: ElasticStore, plan: MigrationPlan, *, keep_old: bool) -> None:
    """State 5: the alias keeps only the target; the sources are deleted unless kept."""
    store.client.indices.update_aliases(actions=finish_actions(plan))
    if not keep_old:
        store.client.indices.delete(index=",".join(plan.sources))
    store.client.indices.refresh(index=plan.target)


def run_migration(store: ElasticStore, *, keep_old: bool = False) -> MigrationReport:
    """A whole migration (or the rest of an interrupted one); old indices stay in the alias
    unless every one of their documents reached the target."""
    started = time.monotonic()
    plan = prepare(store)
    method = copy_method(store.client)
    if needs_derived_fields(observe(store), plan, _schema_version(store)):
        method = "scroll"  # documents of an older schema get the new fields on the way
    report = MigrationReport(plan.alias, plan.target, plan.sources, plan.resumed, method)
    report.durations_s["writes_blocked"] = round(switch_writes(store, plan), 3)
    copy_started = time.monotonic()
    report.copies = copy_all(store, plan, method)
    report.durations_s["copy"] = round(time.monotonic() - copy_started, 3)
    if report.complete:
        finish(store, plan, keep_old=keep_old)
        report.old_indices = "kept" if keep_old else "deleted"
    report.durations_s["total"] = round(time.monotonic() - started, 3)
    return report


# --- copying -----------------------------------------------------------------------------


def reindex_copy(client: Elasticsearch, source: str, target: str, expected: int,
                 poll_s: float = 1.0) -> CopyCounts:
    """The server copies (a task, polled, so that a long copy outlives no HTTP timeout)."""
    started = client.reindex(
        source={"index": source, "size": 1000}, dest={"index": target, "op_type": "create"},
        conflicts="proceed", wait_for_completion=False,
    )
    while not (task := dict(client.tasks.get(task_id=started["task"])))["completed"]:
        time.sleep(poll_s)
    return counts_from_reindex(source, expected, task)


def scroll_copy(client: Elasticsearch, source: str, target: str, expected: int,
                page: int = 1000, attempts: int = 5,
                transform: Callable[[str, dict[str, Any]], dict[str, Any]] | None = None,
                ) -> CopyCounts:
    """Our copy where the node has no reindex: a scroll over the source, bulk ``create``s."""
    counts = CopyCounts(source, "scroll", expected)
    started = time.monotonic()
    for hits in _pages(client, source, page):
        docs = {h["_id"]: transform(h["_id"], h["_source"]) if transform else h["_source"]
                for h in hits}
        _create_page(client, target, docs, counts, attempts)
    counts.seconds = round(time.monotonic() - started, 3)
    return counts


def _pages(client: Elasticsearch, index: str, page: int) -> Iterator[list[dict[str, Any]]]:
    response = client.search(index=index, size=page, scroll="5m", sort=["_doc"],
                             query={"match_all": {}})
    scroll_id = response.get("_scroll_id")
    try:
        while hits := response["hits"]["hits"]:
            yield hits
            response = client.scroll(scroll_id=scroll_id, scroll="5m")
            scroll_id = response.get("_scroll_id")
    finally:
        if scroll_id:
            client.clear_scroll(scroll_id=scroll_id)


def _create_page(client: Elasticsearch, target: str, pending: dict[str, dict[str, Any]],
                 counts: CopyCounts, attempts: int) -> None:
    for attempt in range(attempts):
        operations = [line for doc_id, source in pending.items()
                      for line in ({"create": {"_index": target, "_id": doc_id}}, source)]
        results = classify_copy_items(client.bulk(operations=operations)["items"])
        counts.copied += results.copied
        counts.skipped_newer += results.skipped_newer
        counts.fail(results.failed)
        pending = {doc_id: pending[doc_id] for doc_id in results.retry}
        if not pending:
            return
        time.sleep(min(0.5 * 2**attempt, 10.0))
    counts.fail(dict.fromkeys(pending, "still refused after retries (429/5xx)"))
