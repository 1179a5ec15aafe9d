"""The shipped configuration (config/), as the tests' enrichment and entity tables use it."""

from __future__ import annotations

from worker.enrich.annotate import Enricher
from worker.enrich.normalise import default_tables
from worker.enrich.pipelines import NlpConfig
from worker.index.layout import load_layout
from worker.search.service import vocabulary_of
from worker.settings import PROJECT_ROOT

CONFIG_DIR = PROJECT_ROOT / "config"
ENRICHER = Enricher(NlpConfig(CONFIG_DIR))
TABLES = default_tables(CONFIG_DIR)
DETECTION_LANGUAGES = ENRICHER.detection_languages
LAYOUT = load_layout(CONFIG_DIR)
VOCABULARY = vocabulary_of(CONFIG_DIR, TABLES, LAYOUT)
