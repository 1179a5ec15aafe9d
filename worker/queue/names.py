"""Queue names, one per pipeline stage (importable without building the Celery app)."""

FETCH_QUEUE = "fetch"
NLP_QUEUE = "nlp"
INDEX_QUEUE = "index"
QUEUES = (FETCH_QUEUE, NLP_QUEUE, INDEX_QUEUE)
