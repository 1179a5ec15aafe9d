"""Checks of the saved objects that need no Kibana (pure): every field they use exists in a
mapping with a type that supports the use, every reference resolves inside the file, and
every line has Kibana 8.14's import format. Each function returns problems, one line each.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from worker.kibana.lens import RECORDS
from worker.kibana.saved_object import (
    ATTRIBUTES,
    CORE_MIGRATION_VERSION,
    SEARCH_INDEX_REF,
    TYPE_MIGRATION_VERSIONS,
    Json,
)

AGGREGATABLE = {"keyword", "constant_keyword", "date", "date_nanos", "long", "integer", "short",
                "byte", "double", "float", "half_float", "scaled_float", "unsigned_long",
                "boolean", "ip", "version"}
# What each use needs of a field, and how a problem names it.
NEEDS = {
    "time": "a date",
    "date_histogram": "an aggregatable date",
    "aggregate": "aggregatable (keyword, date, numeric, boolean with doc values; never text)",
    "sort": "sortable (doc values)",
    "query": "indexed",
    "display": "mapped",
    "label": "mapped",
    "hide": "a pattern matching a mapped field",
}
KEYS = {"type", "id", "attributes", "references", "coreMigrationVersion",
        "typeMigrationVersion", "managed"}
VISUALIZATIONS = {"lnsXY", "lnsDatatable", "lnsMetric"}
BUCKETED = {"terms": "aggregate", "date_histogram": "date_histogram", "filters": None}
METRICS = {"count", "unique_count"}


@dataclass(frozen=True)
class FieldInfo:
    """What a mapped field supports."""

    type: str
    aggregatable: bool
    searchable: bool


@dataclass(frozen=True)
class FieldUse:
    """One field one object uses, how, through which data view."""

    object: str  # "type/id"
    data_view: str  # data view id
    field: str
    use: str  # a key of NEEDS


def flatten_mapping(mapping: Json, prefix: str = "") -> dict[str, FieldInfo]:
    """Every field of an index's ``mappings`` by dotted path, multi-fields (``title.keyword``)
    and objects included."""
    fields: dict[str, FieldInfo] = {}
    for name, spec in (mapping.get("properties") or {}).items():
        path = f"{prefix}{name}"
        if "properties" in spec or spec.get("type") in (None, "object", "nested"):
            fields[path] = FieldInfo("object", False, spec.get("enabled", True) is not False)
            fields.update(flatten_mapping(spec, f"{path}."))
            continue
        type_ = spec["type"]
        fields[path] = FieldInfo(
            type_, type_ in AGGREGATABLE and spec.get("doc_values", True) is not False,
            spec.get("index", True) is not False and type_ != "binary")
        for sub, sub_spec in (spec.get("fields") or {}).items():
            fields.update(flatten_mapping({"properties": {sub: sub_spec}}, f"{path}."))
    return fields


def fields_by_index(get_mapping: Json) -> dict[str, dict[str, FieldInfo]]:
    """The fields of each index in a ``GET <index or alias>/_mapping`` response."""
    return {index: flatten_mapping(body["mappings"]) for index, body in get_mapping.items()}


_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')
_FIELD = re.compile(r"(?<![\w.*@-])([A-Za-z_@][\w.@-]*)\s*(?::|<=|>=|<|>)")


def kql_fields(query: str) -> list[str]:
    """The fields a KQL query names (``field : value``, ``field > 1``); quoted text skipped."""
    return _FIELD.findall(_QUOTED.sub('""', query))


def _refs(obj: Json) -> dict[str, Json]:
    return {r["name"]: r for r in obj["references"]}


def _label(obj: Json) -> str:
    return f"{obj['type']}/{obj['id']}"


def _json(text: str) -> Any:
    return json.loads(text)


def _lens_uses(obj: Json) -> Iterator[tuple[str, str, str]]:
    """(data view, field, use) of a Lens object's layers, queries and filters."""
    state, refs = obj["attributes"]["state"], _refs(obj)
    layers = state["datasourceStates"]["formBased"]["layers"]
    views = [refs[f"indexpattern-datasource-layer-{layer}"]["id"] for layer in layers]
    for layer_id, layer in layers.items():
        view = refs[f"indexpattern-datasource-layer-{layer_id}"]["id"]
        for column in layer["columns"].values():
            op, source = column["operationType"], column.get("sourceField")
            use = BUCKETED.get(op, "aggregate")
            if source and source != RECORDS and use:
                yield view, source, use
            queries = [f["input"]["query"] for f in column.get("params", {}).get("filters", [])]
            queries += [column["filter"]["query"]] if "filter" in column else []
            yield from ((view, f, "query") for q in queries for f in kql_fields(q))
    for view in views[:1]:
        yield from ((view, f, "query") for f in kql_fields(state["query"]["query"]))
        yield from ((view, f["meta"]["key"], "query") for f in state["filters"]
                    if f.get("meta", {}).get("key"))


def field_uses(objects: list[Json]) -> list[FieldUse]:
    """Every field every object uses: data views' time field, hidden fields and labels; saved
    searches' columns, sort, breakdown and query; Lens columns, column filters and queries;
    dashboard controls."""
    uses: list[FieldUse] = []
    for obj in objects:
        attrs, refs, label = obj["attributes"], _refs(obj), _label(obj)
        found: list[tuple[str, str, str]] = []
        if obj["type"] == "index-pattern":
            found.append((obj["id"], attrs["timeFieldName"], "time"))
            found += [(obj["id"], f["value"], "hide") for f in _json(attrs["sourceFilters"])]
            found += [(obj["id"], f, "label") for f in _json(attrs.get("fieldAttrs", "{}"))]
        elif obj["type"] == "search":
            view = refs[SEARCH_INDEX_REF]["id"]
            source = _json(attrs["kibanaSavedObjectMeta"]["searchSourceJSON"])
            found += [(view, c, "display") for c in attrs["columns"]]
            found += [(view, f, "sort") for f, _ in attrs["sort"]]
            if attrs.get("breakdownField"):
                found.append((view, attrs["breakdownField"], "aggregate"))
            found += [(view, f, "query") for f in kql_fields(source["query"]["query"])]
            found += [(view, f["meta"]["key"], "query") for f in source["filter"]
                      if f.get("meta", {}).get("key")]
        elif obj["type"] == "lens":
            found += list(_lens_uses(obj))
        elif obj["type"] == "dashboard" and "controlGroupInput" in attrs:
            for cid, control in _json(attrs["controlGroupInput"]["panelsJSON"]).items():
                view = refs[f"controlGroup_{cid}:optionsListDataView"]["id"]
                found.append((view, control["explicitInput"]["fieldName"], "aggregate"))
        uses += [FieldUse(label, view, f, use) for view, f, use in found]
    return uses


def _supports(info: FieldInfo, use: str) -> bool:
    if use == "time":
        return info.type in ("date", "date_nanos")
    if use == "date_histogram":
        return info.type in ("date", "date_nanos") and info.aggregatable
    if use in ("aggregate", "sort"):
        return info.aggregatable
    if use == "query":
        return info.searchable
    return True


def field_problems(objects: list[Json],
                   mappings: dict[str, dict[str, dict[str, FieldInfo]]]) -> list[str]:
    """Fields used but not mapped, or mapped with a type that does not support their use.

    ``mappings``: data view title (the index pattern) → index name → its fields; every index
    behind a data view must have the field.
    """
    patterns = {o["id"]: o["attributes"]["title"] for o in objects if o["type"] == "index-pattern"}
    problems = []
    for use in field_uses(objects):
        pattern = patterns.get(use.data_view)
        indices = mappings.get(pattern or "")
        if not indices:
            problems.append(f"{use.object}: no mapping for data view {use.data_view} ({pattern})")
            continue
        for index, fields in indices.items():
            if use.use == "hide":
                if not fnmatch.filter(fields, use.field):
                    problems.append(f"{use.object}: hidden field pattern {use.field!r} matches "
                                    f"no field of {index}")
                continue
            info = fields.get(use.field)
            if info is None:
                problems.append(f"{use.object}: {use.field} ({use.use}) is not mapped in {index}")
            elif not _supports(info, use.use):
                problems.append(f"{use.object}: {use.field} is {info.type} in {index}; "
                                f"{use.use} needs {NEEDS[use.use]}")
    return problems


def _lens_reference_problems(obj: Json) -> Iterator[str]:
    label, state = _label(obj), obj["attributes"]["state"]
    layers = state["datasourceStates"]["formBased"]["layers"]
    expected = {f"indexpattern-datasource-layer-{layer}" for layer in layers}
    names = set(_refs(obj))
    if names != expected:
        yield f"{label}: references {sorted(names)} but its layers need {sorted(expected)}"
    columns: dict[str, Json] = {}
    for layer_id, layer in layers.items():
        if sorted(layer["columnOrder"]) != sorted(layer["columns"]):
            yield f"{label}: layer {layer_id}'s columnOrder is not its columns"
            continue
        bucketed = [c["isBucketed"] for c in (layer["columns"][i] for i in layer["columnOrder"])]
        if bucketed != sorted(bucketed, reverse=True):
            yield f"{label}: layer {layer_id} has a metric column before a bucket column"
        columns.update(layer["columns"])
        for cid, column in layer["columns"].items():
            if column["operationType"] not in {*BUCKETED, *METRICS}:
                yield f"{label}: column {cid} has unknown operation {column['operationType']}"
            order = column.get("params", {}).get("orderBy", {})
            if order.get("type") == "column" and order.get("columnId") not in layer["columns"]:
                yield f"{label}: column {cid} is ordered by a missing column"
    vis = state["visualization"]
    used = {vis.get("metricAccessor"), *(c["columnId"] for c in vis.get("columns", []))}
    for layer in vis.get("layers", []):
        used |= {layer.get("xAccessor"), layer.get("splitAccessor"), *layer["accessors"]}
    used.discard(None)
    if obj["attributes"]["visualizationType"] not in VISUALIZATIONS:
        yield f"{label}: unknown visualization {obj['attributes']['visualizationType']}"
    if used != set(columns):
        yield f"{label}: the chart shows columns {sorted(used)}, the layers have {sorted(columns)}"


def _dashboard_reference_problems(obj: Json, ids: dict[tuple[str, str], Json]) -> Iterator[str]:
    label, attrs, refs = _label(obj), obj["attributes"], _refs(obj)
    used: set[str] = set()
    panels = _json(attrs["panelsJSON"])
    if len({p["panelIndex"] for p in panels}) != len(panels):
        yield f"{label}: two panels share a panelIndex"
    for p in panels:
        name = f"{p['panelIndex']}:{p['panelRefName']}"
        ref = refs.get(name)
        used.add(name)
        grid = p["gridData"]
        if grid["i"] != p["panelIndex"] or grid["x"] + grid["w"] > 48:
            yield f"{label}: panel {p['panelIndex']} is off Kibana's 48-column grid"
        if ref is None or ref["type"] != p["type"]:
            yield f"{label}: panel {p['panelIndex']} ({p['type']}) has no reference {name}"
        elif ref["type"] not in ("lens", "search") or (ref["type"], ref["id"]) not in ids:
            yield f"{label}: panel {p['panelIndex']} shows {ref['type']}/{ref['id']}, " \
                  "which is not a visualisation or search in the file"
    if "controlGroupInput" in attrs:
        for cid in _json(attrs["controlGroupInput"]["panelsJSON"]):
            name = f"controlGroup_{cid}:optionsListDataView"
            used.add(name)
            if name not in refs or refs[name]["type"] != "index-pattern":
                yield f"{label}: control {cid} has no data view reference {name}"
    if set(refs) - used:
        yield f"{label}: unused references {sorted(set(refs) - used)}"


def reference_problems(objects: list[Json]) -> list[str]:
    """References that point outside the file, or that an object's own parts do not match."""
    ids = {(o["type"], o["id"]): o for o in objects}
    problems = []
    for obj in objects:
        label = _label(obj)
        names = Counter(r["name"] for r in obj["references"])
        problems += [f"{label}: two references named {n}" for n, k in names.items() if k > 1]
        problems += [f"{label}: reference {r['name']} names {r['type']}/{r['id']}, not in the file"
                     for r in obj["references"] if (r["type"], r["id"]) not in ids]
        if obj["type"] == "search":
            source = _json(obj["attributes"]["kibanaSavedObjectMeta"]["searchSourceJSON"])
            if set(_refs(obj)) != {SEARCH_INDEX_REF} or source.get("indexRefName") \
                    != SEARCH_INDEX_REF:
                problems.append(f"{label}: its data view is not the reference {SEARCH_INDEX_REF}")
        elif obj["type"] == "lens":
            problems += list(_lens_reference_problems(obj))
        elif obj["type"] == "dashboard":
            problems += list(_dashboard_reference_problems(obj, ids))
    return problems


_JSON_STRINGS: dict[str, list[tuple[str, ...]]] = {
    "index-pattern": [("sourceFilters",), ("fieldAttrs",), ("fieldFormatMap",),
                      ("runtimeFieldMap",), ("fields",)],
    "search": [("kibanaSavedObjectMeta", "searchSourceJSON")],
    "dashboard": [("panelsJSON",), ("optionsJSON",), ("kibanaSavedObjectMeta", "searchSourceJSON"),
                  ("controlGroupInput", "panelsJSON"),
                  ("controlGroupInput", "ignoreParentSettingsJSON")],
}


def _line_problems(number: int, obj: Any) -> Iterator[str]:
    where = f"line {number}"
    if not isinstance(obj, dict):
        yield f"{where}: not a JSON object"
        return
    if set(obj) - KEYS or {"type", "id", "attributes", "references"} - set(obj):
        yield f"{where}: keys {sorted(obj)}, expected {sorted(KEYS)}"
        return
    type_, where = obj["type"], f"line {number} ({obj['type']}/{obj['id']})"
    if type_ not in TYPE_MIGRATION_VERSIONS:
        yield f"{where}: a type we do not ship"
        return
    if obj.get("coreMigrationVersion") != CORE_MIGRATION_VERSION:
        yield f"{where}: coreMigrationVersion {obj.get('coreMigrationVersion')!r}"
    if obj.get("typeMigrationVersion") != TYPE_MIGRATION_VERSIONS[type_]:
        yield f"{where}: typeMigrationVersion {obj.get('typeMigrationVersion')!r}, Kibana 8.14 " \
              f"exports {TYPE_MIGRATION_VERSIONS[type_]}"
    if obj.get("managed", False) is not False:
        yield f"{where}: managed objects cannot be edited in Kibana"
    attrs = obj["attributes"]
    if set(attrs) - ATTRIBUTES[type_]:
        yield f"{where}: attributes {sorted(set(attrs) - ATTRIBUTES[type_])} are not in the " \
              f"{type_} schema"
    if not isinstance(attrs.get("title"), str) or not attrs["title"]:
        yield f"{where}: no title"
    if any(set(r) != {"name", "type", "id"} or not all(isinstance(v, str) for v in r.values())
           for r in obj["references"]):
        yield f"{where}: a reference is not {{name, type, id}}"
    for path in _JSON_STRINGS.get(type_, []):
        value: Any = attrs
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if value is None and path[0] == "controlGroupInput":
            continue
        try:
            json.loads(value)
        except (TypeError, ValueError):
            yield f"{where}: {'.'.join(path)} is not a JSON string"
    if type_ == "lens" and set(attrs["state"]) < {"visualization", "datasourceStates", "query",
                                                  "filters"}:
        yield f"{where}: Lens state lacks visualization, datasourceStates, query or filters"


def format_problems(text: str) -> list[str]:
    """Problems of an import file: one JSON object per line, each with type, id, attributes,
    references and Kibana 8.14's version fields, no id twice."""
    if not text.endswith("\n"):
        return ["the file does not end with a newline"]
    problems, seen = [], Counter[str]()
    for number, line in enumerate(text.splitlines(), 1):
        try:
            obj = json.loads(line)
        except ValueError as exc:
            problems.append(f"line {number}: not JSON ({exc})")
            continue
        problems += list(_line_problems(number, obj))
        if isinstance(obj, dict) and "id" in obj:
            seen[obj["id"]] += 1
    problems += [f"id {i} appears {n} times" for i, n in seen.items() if n > 1]
    return problems
