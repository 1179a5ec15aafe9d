"""Lens visualisations as Kibana 8.14 stores them (pure): one form-based layer of columns
over one data view, drawn as a bar chart, a table or a metric.

A column is one Lens operation: ``terms`` (top values), ``date_histogram``, ``filters``,
``count`` or ``unique_count``. Bucket columns come first in a layer, metrics after them; a
layer refers to its data view through the reference ``indexpattern-datasource-layer-<id>``.
"""

from __future__ import annotations

from dataclasses import dataclass

from worker.kibana.saved_object import Json, kuery, reference, saved_object

RECORDS = "___records___"  # Lens's source field of a document count
LAYER = "layer"


def count(label: str, query: str = "") -> Json:
    """The number of documents (those matching the KQL ``query``, if any)."""
    column: Json = {"label": label, "customLabel": True, "dataType": "number",
                    "operationType": "count", "isBucketed": False, "scale": "ratio",
                    "sourceField": RECORDS, "params": {"emptyAsNull": False}}
    if query:
        column["filter"] = kuery(query)
    return column


def unique_count(label: str, field: str) -> Json:
    """The number of distinct values of a field."""
    return {"label": label, "customLabel": True, "dataType": "number",
            "operationType": "unique_count", "isBucketed": False, "scale": "ratio",
            "sourceField": field, "params": {"emptyAsNull": False}}


def terms(label: str, field: str, size: int, order_by: str = "count") -> Json:
    """The top ``size`` values of a field, ranked by the metric column ``order_by``."""
    return {"label": label, "customLabel": True, "dataType": "string",
            "operationType": "terms", "isBucketed": True, "scale": "ordinal",
            "sourceField": field,
            "params": {"size": size, "orderBy": {"type": "column", "columnId": order_by},
                       "orderDirection": "desc", "otherBucket": False, "missingBucket": False,
                       "parentFormat": {"id": "terms"}, "include": [], "exclude": [],
                       "includeIsRegex": False, "excludeIsRegex": False}}


def date_histogram(label: str, field: str, interval: str = "auto") -> Json:
    """Buckets of time (``d`` for days, ``auto`` for Kibana's choice)."""
    return {"label": label, "customLabel": True, "dataType": "date",
            "operationType": "date_histogram", "isBucketed": True, "scale": "interval",
            "sourceField": field,
            "params": {"interval": interval, "includeEmptyRows": True, "dropPartials": False}}


def filters(label: str, groups: list[tuple[str, str]]) -> Json:
    """One bucket per (label, KQL query); a document may fall in several."""
    return {"label": label, "customLabel": True, "dataType": "string",
            "operationType": "filters", "isBucketed": True, "scale": "ordinal",
            "params": {"filters": [{"label": name, "input": kuery(q)} for name, q in groups]}}


@dataclass(frozen=True)
class Lens:
    """One Lens visualisation: ``columns`` (id → column, buckets first) over a data view."""

    id: str
    title: str
    description: str
    data_view_id: str
    columns: dict[str, Json]


def _object(lens: Lens, visualization_type: str, visualization: Json) -> Json:
    layer = {"columns": lens.columns, "columnOrder": list(lens.columns),
             "incompleteColumns": {}, "sampling": 1, "ignoreGlobalFilters": False}
    return saved_object("lens", lens.id, {
        "title": lens.title,
        "description": lens.description,
        "visualizationType": visualization_type,
        "state": {
            "visualization": visualization,
            "query": kuery(),
            "filters": [],
            "datasourceStates": {"formBased": {"layers": {LAYER: layer}},
                                 "indexpattern": {"layers": {}},
                                 "textBased": {"layers": {}}},
            "internalReferences": [],
            "adHocDataViews": {},
        },
    }, [reference(f"indexpattern-datasource-layer-{LAYER}", "index-pattern", lens.data_view_id)])


def bar(lens: Lens, *, x: str, y: str, split: str | None = None,
        series: str = "bar_stacked") -> Json:
    """An XY chart of metric ``y`` over bucket ``x``, one series per ``split`` bucket.
    ``series``: ``bar_stacked``, ``bar_horizontal`` (top-N lists), ``line``…"""
    layer: Json = {"layerId": LAYER, "layerType": "data", "seriesType": series,
                   "xAccessor": x, "accessors": [y], "position": "top", "showGridlines": False}
    if split:
        layer["splitAccessor"] = split
    return _object(lens, "lnsXY", {
        "legend": {"isVisible": split is not None, "position": "right"},
        "valueLabels": "hide",
        "fittingFunction": "None",
        "preferredSeriesType": series,
        "axisTitlesVisibilitySettings": {"x": True, "yLeft": True, "yRight": True},
        "tickLabelsVisibilitySettings": {"x": True, "yLeft": True, "yRight": True},
        "gridlinesVisibilitySettings": {"x": True, "yLeft": True, "yRight": True},
        "labelsOrientation": {"x": 0, "yLeft": 0, "yRight": 0},
        "layers": [layer],
    })


def table(lens: Lens, *, sort_by: str) -> Json:
    """A table: one row per combination of the bucket columns, sorted by ``sort_by``."""
    return _object(lens, "lnsDatatable", {
        "layerId": LAYER, "layerType": "data",
        "columns": [{"columnId": c, "isTransposed": False} for c in lens.columns],
        "sorting": {"columnId": sort_by, "direction": "desc"},
    })


def metric(lens: Lens, *, value: str) -> Json:
    """One big number."""
    return _object(lens, "lnsMetric", {"layerId": LAYER, "layerType": "data",
                                       "metricAccessor": value})
