"""Kibana saved objects for the articles and quarantine indices, kept as readable source.

* ``saved_object`` and ``lens``: the shapes of Kibana 8.14's saved objects (data views,
  saved searches, Lens visualisations, dashboards), as plain data; pure.
* ``objects``: every object we ship and what it shows; ``python -m worker kibana build``
  writes them to ``config/kibana/saved-objects.ndjson``; pure.
* ``checks``: the checks the tests run on them (fields against a mapping, references between
  objects, Kibana's import format); pure.
* ``importer``: ``python -m worker kibana import``, the import API over httpx (an adapter).
"""
