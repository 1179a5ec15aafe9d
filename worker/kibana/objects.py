"""Every Kibana saved object we ship, and what it shows (pure).

``python -m worker kibana build`` writes ``saved_objects()`` to
``config/kibana/saved-objects.ndjson``; ``tests/unit/test_kibana_objects.py`` checks that the
committed file is what this module builds, and the integration test checks every field used
here against the live mapping. Ids are stable: an import with ``overwrite=true`` replaces the
objects of an earlier import instead of adding copies.
"""

from __future__ import annotations

import json
from pathlib import Path

from worker.kibana.lens import Lens, bar, count, date_histogram, filters, metric, table, terms
from worker.kibana.lens import unique_count as distinct
from worker.kibana.saved_object import (
    Control,
    Dashboard,
    Json,
    Panel,
    dashboard,
    data_view,
    saved_search,
)

NDJSON = Path("config") / "kibana" / "saved-objects.ndjson"  # under the project root

ARTICLES = "newsworker-articles"
QUARANTINE = "newsworker-quarantine"
TIME = "published_or_fetched_at"  # published time, or fetched time when none was found
LABELS = {"PER": "people", "ORG": "organisations", "LOC": "places", "EVENT": "events",
          "MISC": "other entities"}
EDITED = "version > 1"
NEAR_DUPLICATE = "near_duplicate_of : *"
NO_ENTITIES = "not entity_keys : *"


def data_views() -> list[Json]:
    """The articles' read alias and the quarantine index."""
    labels = {f"entity_names.{label}": f"Entities: {name} ({label})"
              for label, name in LABELS.items()}
    labels[TIME] = "Published (or fetched) at"
    return [
        data_view(ARTICLES, pattern="news-articles", name="News articles", time_field=TIME,
                  hidden_fields=("minhash", "minhash_bands", "mentions", "text_by_language.*"),
                  labels=labels),
        data_view(QUARANTINE, pattern="news-quarantine", name="Quarantined input",
                  time_field="quarantined_at", hidden_fields=("raw_base64",)),
    ]


def searches() -> list[Json]:
    """Discover tables: the latest articles, those without entities, duplicates, quarantine."""
    newest = [(TIME, "desc")]
    return [
        saved_search(
            "newsworker-articles-by-entity", title="Latest articles",
            description="Newest first, with language, site, publication and entities by label.",
            data_view_id=ARTICLES, sort=newest,
            columns=["title", "language", "site", "attributed_publication",
                     "entity_names.PER", "entity_names.ORG", "entity_names.LOC"]),
        saved_search(
            "newsworker-articles-without-entities", title="Articles without entities",
            description="Articles NER found nothing in, or never ran on (ner_status "
                        "'unsupported': no model for the language).",
            data_view_id=ARTICLES, sort=newest, query=NO_ENTITIES, breakdown="ner_status",
            columns=["title", "language", "ner_status", "body_source", "word_count", "site"]),
        saved_search(
            "newsworker-articles-duplicates", title="Edited and near-duplicate articles",
            description="Articles replaced by an edited version (version > 1) and "
                        "re-publications of another article (near_duplicate_of).",
            data_view_id=ARTICLES, sort=newest, query=f"{EDITED} or {NEAR_DUPLICATE}",
            columns=["title", "version", "near_duplicate_of", "near_duplicate_similarity",
                     "story_id", "site"]),
        saved_search(
            "newsworker-quarantine-reasons", title="Quarantine by reason",
            description="What was refused, newest first: stage, reason code, error class, "
                        "reason and where it came from; the histogram splits by reason code.",
            data_view_id=QUARANTINE, sort=[("quarantined_at", "desc")], breakdown="reason_code",
            columns=["stage", "reason_code", "error_class", "reason", "origin.location",
                     "job_id", "raw_size"]),
    ]


def _top(lens_id: str, title: str, field: str, size: int, *, data_view_id: str = ARTICLES,
         description: str = "") -> Json:
    """A horizontal bar chart of a field's top values by number of articles."""
    lens = Lens(lens_id, title, description or f"The {size} most frequent values of {field}.",
                data_view_id, {"value": terms(title, field, size), "count": count("Articles")})
    return bar(lens, x="value", y="count", series="bar_horizontal")


def _per_day(lens_id: str, title: str, time_field: str, split: Json, description: str,
             *, data_view_id: str = ARTICLES, metric_label: str = "Articles") -> Json:
    """Stacked bars per day, one colour per ``split`` bucket."""
    lens = Lens(lens_id, title, description, data_view_id, {
        "split": split, "day": date_histogram("Day", time_field, "d"),
        "count": count(metric_label)})
    return bar(lens, x="day", y="count", split="split")


def _number(lens_id: str, title: str, column: Json, description: str,
            *, data_view_id: str = ARTICLES) -> Json:
    return metric(Lens(lens_id, title, description, data_view_id, {"value": column}),
                  value="value")


def entity_visualisations() -> list[Json]:
    """Top entities per label, organisations beside places, people over time."""
    tops = [_top(f"newsworker-lens-top-{label.lower()}", f"Top {name} ({label})",
                 f"entity_names.{label}", 20,
                 description=f"The 20 {name} most articles mention (entity_names.{label}).")
            for label, name in LABELS.items()]
    org_by_loc = table(Lens(
        "newsworker-lens-orgs-by-place", "Organisations mentioned with each place",
        "Co-occurrence: for each of the top places, the organisations the same articles "
        "mention. Pick places in the control above to see only their articles.", ARTICLES,
        {"place": terms("Place (LOC)", "entity_names.LOC", 10),
         "org": terms("Organisation (ORG)", "entity_names.ORG", 10),
         "count": count("Articles")}), sort_by="count")
    people_over_time = _per_day(
        "newsworker-lens-people-over-time", "People over time", TIME,
        terms("Person (PER)", "entity_names.PER", 8),
        "Articles per day mentioning each of the 8 most mentioned people.")
    return [*tops, org_by_loc, people_over_time]


def coverage_visualisations() -> list[Json]:
    """How many articles, in which languages, from which sites, publications and origins."""
    return [
        _number("newsworker-lens-articles", "Articles", count("Articles"),
                "Articles in the index (the time range applies)."),
        _number("newsworker-lens-sites", "Sites", distinct("Sites", "site"),
                "Distinct hosts the articles came from."),
        _number("newsworker-lens-languages-count", "Languages", distinct("Languages", "language"),
                "Distinct detected languages."),
        _number("newsworker-lens-publications-count", "Publications",
                distinct("Publications", "attributed_publication"),
                "Distinct publications named in the articles' promo lines."),
        _per_day("newsworker-lens-articles-per-day-by-language", "Articles per day by language",
                 TIME, terms("Language", "language", 10),
                 "Articles per day (published, or fetched when undated), by detected language."),
        _per_day("newsworker-lens-articles-per-day-by-site", "Articles per day by site", TIME,
                 terms("Site", "site", 10), "Articles per day from each of the 10 biggest sites."),
        _top("newsworker-lens-languages", "Languages", "language", 30),
        _top("newsworker-lens-publications", "Publications", "attributed_publication", 20,
             description="The publications articles credit most (attributed_publication)."),
        table(Lens("newsworker-lens-origins", "Where articles came from",
                   "Seed files and feed URLs (origins.location) by kind, most articles first.",
                   ARTICLES, {"location": terms("Origin", "origins.location", 50),
                              "kind": terms("Kind", "origins.kind", 5),
                              "count": count("Articles")}), sort_by="count"),
    ]


def health_visualisations() -> list[Json]:
    """Quarantine over time, NER status, body sources, duplicates."""
    duplicates = filters("Kind", [("edited (version > 1)", EDITED),
                                  ("near-duplicate", NEAR_DUPLICATE)])
    return [
        _number("newsworker-lens-quarantined", "Quarantined", count("Quarantined"),
                "Input refused (the time range applies to quarantined_at).",
                data_view_id=QUARANTINE),
        _number("newsworker-lens-edited", "Edited articles", count("Edited", EDITED),
                "Articles replaced by an edited version (version > 1)."),
        _number("newsworker-lens-near-duplicates", "Near-duplicates",
                count("Near-duplicates", NEAR_DUPLICATE),
                "Re-publications of another article (near_duplicate_of set)."),
        _number("newsworker-lens-without-entities", "Articles without entities",
                count("Without entities", NO_ENTITIES), "Articles with no entity at all."),
        _per_day("newsworker-lens-quarantine-by-stage", "Quarantined per day by stage",
                 "quarantined_at", terms("Stage", "stage", 10),
                 "Refused input per day, by the stage that refused it.",
                 data_view_id=QUARANTINE, metric_label="Quarantined"),
        _per_day("newsworker-lens-quarantine-by-reason", "Quarantined per day by reason",
                 "quarantined_at", terms("Reason code", "reason_code", 10),
                 "Refused input per day, by reason code.",
                 data_view_id=QUARANTINE, metric_label="Quarantined"),
        _top("newsworker-lens-ner-status", "Articles by NER status", "ner_status", 10,
             description="ok, unsupported (no model for the language), skipped, pending."),
        _top("newsworker-lens-body-source", "Articles by body source", "body_source", 10,
             description="Where the body came from: seed, feed_content, feed_summary, page, "
                         "or headline (a title with no text)."),
        _per_day("newsworker-lens-duplicates-per-day", "Edited and near-duplicate articles "
                 "per day", TIME, duplicates,
                 "Articles per day that replaced an older version or repeat another article."),
    ]


def _grid(rows: list[list[tuple[str, str, str, int, int]]]) -> list[Panel]:
    """Panels laid out row by row: each (panel id, type, object id, width, height)."""
    panels, y = [], 0
    for row in rows:
        x = 0
        for panel_id, type_, object_id, w, h in row:
            panels.append(Panel(panel_id, type_, object_id, x, y, w, h))
            x += w
        y += max(h for *_, h in row)
    return panels


def dashboards() -> list[Json]:
    """Entity explorer, coverage, pipeline health."""
    lens = "lens"
    entities = Dashboard(
        "newsworker-dashboard-entities", "News: entity explorer",
        "Top entities per label, organisations beside places, people over time. Pick places, "
        "people or organisations above to see what else their articles mention.",
        _grid([
            [("per", lens, "newsworker-lens-top-per", 16, 15),
             ("org", lens, "newsworker-lens-top-org", 16, 15),
             ("loc", lens, "newsworker-lens-top-loc", 16, 15)],
            [("event", lens, "newsworker-lens-top-event", 16, 15),
             ("misc", lens, "newsworker-lens-top-misc", 16, 15),
             ("orgs-by-place", lens, "newsworker-lens-orgs-by-place", 16, 15)],
            [("people-over-time", lens, "newsworker-lens-people-over-time", 48, 15)],
        ]),
        controls=[Control("place", "entity_names.LOC", "Place (LOC)", ARTICLES),
                  Control("person", "entity_names.PER", "Person (PER)", ARTICLES),
                  Control("organisation", "entity_names.ORG", "Organisation (ORG)", ARTICLES),
                  Control("language", "language", "Language", ARTICLES)])
    coverage = Dashboard(
        "newsworker-dashboard-coverage", "News: coverage",
        "How many articles, per day, in which languages, from which sites, publications and "
        "seed files or feeds.",
        _grid([
            [("articles", lens, "newsworker-lens-articles", 12, 7),
             ("sites", lens, "newsworker-lens-sites", 12, 7),
             ("languages-count", lens, "newsworker-lens-languages-count", 12, 7),
             ("publications-count", lens, "newsworker-lens-publications-count", 12, 7)],
            [("per-language", lens, "newsworker-lens-articles-per-day-by-language", 24, 15),
             ("per-site", lens, "newsworker-lens-articles-per-day-by-site", 24, 15)],
            [("languages", lens, "newsworker-lens-languages", 16, 15),
             ("publications", lens, "newsworker-lens-publications", 16, 15),
             ("origins", lens, "newsworker-lens-origins", 16, 15)],
            [("latest", "search", "newsworker-articles-by-entity", 48, 15)],
        ]),
        controls=[Control("language", "language", "Language", ARTICLES),
                  Control("site", "site", "Site", ARTICLES)])
    health = Dashboard(
        "newsworker-dashboard-pipeline", "News: pipeline health",
        "What was quarantined and why, NER status, where bodies came from, edits and "
        "near-duplicates.",
        _grid([
            [("quarantined", lens, "newsworker-lens-quarantined", 12, 7),
             ("edited", lens, "newsworker-lens-edited", 12, 7),
             ("near-duplicates", lens, "newsworker-lens-near-duplicates", 12, 7),
             ("without-entities", lens, "newsworker-lens-without-entities", 12, 7)],
            [("by-stage", lens, "newsworker-lens-quarantine-by-stage", 24, 15),
             ("by-reason", lens, "newsworker-lens-quarantine-by-reason", 24, 15)],
            [("ner-status", lens, "newsworker-lens-ner-status", 16, 15),
             ("body-source", lens, "newsworker-lens-body-source", 16, 15),
             ("duplicates", lens, "newsworker-lens-duplicates-per-day", 16, 15)],
            [("quarantine", "search", "newsworker-quarantine-reasons", 48, 15)],
        ]))
    return [dashboard(d) for d in (entities, coverage, health)]


def saved_objects() -> list[Json]:
    """Everything we ship, referenced objects before the objects referring to them."""
    return [*data_views(), *searches(), *entity_visualisations(), *coverage_visualisations(),
            *health_visualisations(), *dashboards()]


def to_ndjson(objects: list[Json]) -> str:
    """The import file: one object per line, keys sorted, so that builds are byte-stable."""
    return "".join(json.dumps(o, ensure_ascii=False, sort_keys=True,
                                  separators=(",", ":")) + "\n" for o in objects)
