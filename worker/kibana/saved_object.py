"""The saved object shapes Kibana 8.14 exports and imports, as plain data (pure).

Every object is one line of the import file: ``type``, ``id``, ``attributes``, ``references``
and the version fields Kibana 8.14's export writes. ``coreMigrationVersion`` is "8.8.0" for
every type since 8.8; ``typeMigrationVersion`` is the newest migration (or, for types with
model versions, ``10.<model version>.0``) of each type: an import migrates older objects up, and
refuses objects newer than the Kibana it runs in, so these must not run ahead of 8.14.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

Json = dict[str, Any]

KIBANA_VERSION = "8.14.1"  # docker-compose.yml's image; the oldest Kibana these objects need
CORE_MIGRATION_VERSION = "8.8.0"
TYPE_MIGRATION_VERSIONS = {
    "index-pattern": "8.0.0",  # data views: migrations up to 8.0.0, no model versions
    "search": "10.2.0",  # saved searches: model version 2 (sampleSize, headerRowHeight)
    "lens": "8.9.0",  # Lens: migrations up to 8.9.0
    "dashboard": "10.2.0",  # dashboards: model version 2 (controls' showApplySelections)
}
# The attributes each type's 8.14 schema accepts (dashboards forbid any other).
ATTRIBUTES = {
    "index-pattern": {"title", "name", "timeFieldName", "sourceFilters", "fieldAttrs",
                      "fieldFormatMap", "fields", "runtimeFieldMap", "typeMeta", "type",
                      "allowNoIndex", "allowHidden"},
    "search": {"title", "description", "columns", "sort", "grid", "rowHeight", "rowsPerPage",
               "hideChart", "breakdownField", "kibanaSavedObjectMeta", "isTextBasedQuery",
               "usesAdHocDataView", "timeRestore", "timeRange", "refreshInterval", "viewMode",
               "hideAggregatedPreview", "hits", "version", "sampleSize", "headerRowHeight"},
    "lens": {"title", "description", "visualizationType", "state"},
    "dashboard": {"title", "description", "kibanaSavedObjectMeta", "timeRestore", "timeFrom",
                  "timeTo", "refreshInterval", "controlGroupInput", "panelsJSON", "optionsJSON",
                  "hits", "version"},
}
SEARCH_INDEX_REF = "kibanaSavedObjectMeta.searchSourceJSON.index"


def dumps(value: Any) -> str:
    """The JSON text Kibana keeps inside string attributes (panelsJSON, searchSourceJSON…)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def reference(name: str, type_: str, id_: str) -> Json:
    """One entry of an object's ``references``."""
    return {"name": name, "type": type_, "id": id_}


def saved_object(type_: str, id_: str, attributes: Json, references: list[Json]) -> Json:
    """One line of the import file, with the version fields of Kibana 8.14's export."""
    return {
        "type": type_,
        "id": id_,
        "attributes": attributes,
        "references": references,
        "coreMigrationVersion": CORE_MIGRATION_VERSION,
        "typeMigrationVersion": TYPE_MIGRATION_VERSIONS[type_],
        "managed": False,
    }


def kuery(query: str = "") -> Json:
    """A KQL query as Kibana stores it."""
    return {"query": query, "language": "kuery"}


def data_view(id_: str, *, pattern: str, name: str, time_field: str,
              hidden_fields: tuple[str, ...] = (), labels: dict[str, str] | None = None) -> Json:
    """A data view (type ``index-pattern``); its fields come from the mapping when it loads.

    ``hidden_fields`` are left out of Discover's documents (source filters, ``*`` wildcards);
    ``labels`` are custom field labels.
    """
    return saved_object("index-pattern", id_, {
        "title": pattern,
        "name": name,
        "timeFieldName": time_field,
        "sourceFilters": dumps([{"value": f} for f in hidden_fields]),
        "fieldAttrs": dumps({f: {"customLabel": label} for f, label in (labels or {}).items()}),
        "fieldFormatMap": "{}",
        "runtimeFieldMap": "{}",
        "fields": "[]",
    }, [])


def saved_search(id_: str, *, title: str, description: str, data_view_id: str,
                 columns: list[str], sort: list[tuple[str, str]], query: str = "",
                 breakdown: str | None = None) -> Json:
    """A Discover saved search: KQL ``query``, table ``columns``, ``sort`` [(field, dir)]."""
    source = {"query": kuery(query), "filter": [], "indexRefName": SEARCH_INDEX_REF}
    attributes: Json = {
        "title": title,
        "description": description,
        "columns": columns,
        "sort": [[f, direction] for f, direction in sort],
        "grid": {},
        "hideChart": False,
        "isTextBasedQuery": False,
        "timeRestore": False,
        "kibanaSavedObjectMeta": {"searchSourceJSON": dumps(source)},
    }
    if breakdown:
        attributes["breakdownField"] = breakdown
    return saved_object("search", id_, attributes,
                        [reference(SEARCH_INDEX_REF, "index-pattern", data_view_id)])


@dataclass(frozen=True)
class Panel:
    """A dashboard panel showing a saved object by reference, on Kibana's 48-column grid."""

    id: str  # the panel's index on its dashboard
    type: str  # "lens" or "search"
    object_id: str
    x: int
    y: int
    w: int
    h: int


@dataclass(frozen=True)
class Control:
    """An options list above a dashboard: picking values filters every panel."""

    id: str
    field: str
    title: str
    data_view_id: str


@dataclass(frozen=True)
class Dashboard:
    """A dashboard; its time range is restored when it opens."""

    id: str
    title: str
    description: str
    panels: list[Panel]
    controls: list[Control] = field(default_factory=list)
    time_from: str = "now-30d"


def dashboard(d: Dashboard) -> Json:
    """The saved object of a dashboard: panels and controls point at their objects through
    named references (``<panel>:panel_<panel>``, ``controlGroup_<control>:optionsListDataView``).
    """
    panels, references = [], []
    for p in d.panels:
        panels.append({
            "type": p.type,
            "gridData": {"x": p.x, "y": p.y, "w": p.w, "h": p.h, "i": p.id},
            "panelIndex": p.id,
            "embeddableConfig": {"enhancements": {}},
            "panelRefName": f"panel_{p.id}",
        })
        references.append(reference(f"{p.id}:panel_{p.id}", p.type, p.object_id))
    attributes: Json = {
        "title": d.title,
        "description": d.description,
        "panelsJSON": dumps(panels),
        "optionsJSON": dumps({"useMargins": True, "syncColors": False, "syncCursor": True,
                              "syncTooltips": False, "hidePanelTitles": False}),
        "timeRestore": True,
        "timeFrom": d.time_from,
        "timeTo": "now",
        "refreshInterval": {"pause": True, "value": 60000},
        "kibanaSavedObjectMeta": {"searchSourceJSON": dumps({"query": kuery(), "filter": []})},
        "version": 1,
    }
    if d.controls:
        attributes["controlGroupInput"] = {
            "controlStyle": "oneLine",
            "chainingSystem": "HIERARCHICAL",
            "showApplySelections": False,
            "ignoreParentSettingsJSON": dumps({"ignoreFilters": False, "ignoreQuery": False,
                                               "ignoreTimerange": False,
                                               "ignoreValidations": False}),
            "panelsJSON": dumps({c.id: {
                "order": order, "width": "medium", "grow": True, "type": "optionsListControl",
                "explicitInput": {"id": c.id, "fieldName": c.field, "title": c.title,
                                  "selectedOptions": [], "enhancements": {}},
            } for order, c in enumerate(d.controls)}),
        }
        references += [reference(f"controlGroup_{c.id}:optionsListDataView", "index-pattern",
                                 c.data_view_id) for c in d.controls]
    return saved_object("dashboard", d.id, attributes, references)
