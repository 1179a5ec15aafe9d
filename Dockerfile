# The worker image: one image for every Celery role (fetch, nlp, index workers, beat, Flower).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY requirements ./requirements
COPY worker ./worker
COPY config ./config
COPY seeds ./seeds
RUN pip install --no-deps --require-hashes -r requirements/models.txt && pip install . && useradd --create-home --uid 1000 newsworker && mkdir -p /data && chown newsworker /data
USER newsworker
ENV NEWSWORKER_CONFIG_DIR=/app/config NEWSWORKER_STATE_DIR=/data
CMD ["newsworker", "--help"]
