"""Queue and task names, one queue per pipeline stage (importable without building the app)."""

FETCH_QUEUE = "fetch"
NLP_QUEUE = "nlp"
INDEX_QUEUE = "index"
QUEUES = (FETCH_QUEUE, NLP_QUEUE, INDEX_QUEUE)

PARSE_SOURCE = "newsworker.parse_source"
ENRICH_ARTICLES = "newsworker.enrich_articles"
INDEX_ARTICLES = "newsworker.index_articles"
SCHEDULE_FEEDS = "newsworker.schedule_feeds"
POLL_FEED = "newsworker.poll_feed"
FETCH_FULLTEXT = "newsworker.fetch_fulltext"
