"""One typed settings object, read from the environment (prefix ``NEWSWORKER_``)."""

from __future__ import annotations

import functools
import os
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ENV_PREFIX = "NEWSWORKER_"


def _default_state_dir() -> Path:
    return Path(os.environ.get(f"{ENV_PREFIX}STATE_DIR", PROJECT_ROOT / ".state"))


def _env_files() -> tuple[Path, ...]:
    # `dev up` writes the addresses it picked here; real environment variables win over it.
    return (_default_state_dir() / "dev.env",)


class Settings(BaseSettings):
    """Every knob of the worker; defaults work on a developer machine."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_file=_env_files(), extra="ignore", frozen=True
    )

    redis_url: str = Field("redis://127.0.0.1:6379/0", description="Job ledger (and broker).")
    broker_url: str | None = Field(
        None, description="Celery broker (redis:// or amqp:// for RabbitMQ); default redis_url."
    )
    elasticsearch_url: str = Field(
        "http://127.0.0.1:9200", description="Elasticsearch URL, or several, comma-separated."
    )
    elasticsearch_api_key: SecretStr | None = Field(
        None, description="API key (the base64 'id:key' form Elasticsearch returns as encoded)."
    )
    elasticsearch_username: str | None = Field(None, description="Basic auth user.")
    elasticsearch_password: SecretStr | None = Field(None, description="Basic auth password.")
    elasticsearch_ca_certs: Path | None = Field(
        None, description="CA bundle (PEM) that signed the nodes' TLS certificates."
    )
    elasticsearch_verify_certs: bool = Field(
        True, description="Verify the nodes' TLS certificates (turn off only to debug)."
    )
    elasticsearch_timeout_s: float = Field(30.0, description="Per-request timeout (s).")
    articles_alias: str = Field("news-articles", description="Alias searched and written to.")
    quarantine_index: str = Field("news-quarantine", description="Where rejected input is kept.")
    config_dir: Path = Field(PROJECT_ROOT / "config", description="Template, languages, feeds.")
    state_dir: Path = Field(default_factory=_default_state_dir, description="Dev stack data/logs.")

    batch_size: int = Field(128, ge=1, le=500, description="Articles per NLP / index task.")
    batch_chars: int = Field(
        1_000_000, ge=10_000,
        description="Most text (characters) per NLP / index task: long articles make smaller "
                    "batches, so one task stays seconds long; an article above it goes alone.")
    max_seed_bytes: int = Field(15 * 1024 * 1024, ge=1, description="Largest seed file accepted.")
    max_text_chars: int = Field(2_000_000, ge=1000, description="Longest body kept per article.")
    max_seed_files: int = Field(
        10_000, ge=1, description="Most files one ingest may walk (folders included)."
    )
    max_bad_records: int = Field(
        100, ge=0, description="Bad records of one file quarantined one by one; the rest as one."
    )
    task_soft_time_limit_s: int = Field(240, ge=1, description="Soft limit of one task.")
    task_time_limit_s: int = Field(300, ge=1, description="Hard limit of one task (kill).")
    visibility_timeout_s: int = Field(
        900, ge=1, description="Redis redelivers a task unacked this long (a dead worker's)."
    )
    retry_backoff_max_s: int = Field(
        20, ge=1, description="Longest wait between retries after a service failure (jittered)."
    )
    retry_after_max_s: int = Field(
        300, ge=1, description="Longest server Retry-After honoured before the next try (s)."
    )
    max_deliveries: int = Field(
        3, ge=1, description="Deliveries of one message that never finished before it is parked."
    )
    allow_volatile_broker: bool = Field(
        False, description="Start workers on a Redis with neither AOF nor RDB snapshots."
    )
    worker_plugins: str = Field(
        "", description="Modules the workers import at start, comma-separated (signal hooks)."
    )
    metrics_port: int = Field(
        0, ge=0, le=65535, description="Prometheus metrics of this worker on this port (0: off)."
    )
    metrics_host: str = Field(
        "127.0.0.1", description="Where the metrics endpoint listens (0.0.0.0 in a container)."
    )
    worker_max_tasks_per_child: int = Field(1000, ge=1, description="Recycle worker processes.")
    worker_max_memory_per_child_kib: int = Field(
        2 * 1024 * 1024, ge=1024, description="Recycle a worker process above this RSS (KiB)."
    )
    worker_malloc_trim_threshold_kib: int = Field(
        16384, ge=0, description="glibc returns a worker's free heap top above this to the "
        "system (0 with the next: glibc's dynamic thresholds; see worker/queue/malloc_tuning.py).")
    worker_malloc_mmap_threshold_kib: int = Field(
        32768, ge=0, le=32768, description="Blocks at least this large are mmapped by glibc, "
        "smaller ones come from the heap (fixed, not raised by each free).")
    worker_gc_threshold: int = Field(
        50_000, ge=0, description="Gen-0 garbage-collector threshold of worker processes, "
        "whose start-up objects are frozen out of collections (0: CPython's default, 700).")
    nlp_concurrency: int = Field(
        1, ge=1, le=64, description="Processes of the dev stack's NLP worker (compose: replicas)."
    )
    index_concurrency: int = Field(
        2, ge=1, le=64, description="Processes of the index worker: one prepares a batch while "
        "Elasticsearch writes another's.")

    allow_private_networks: bool = Field(
        False, description="Let fetches reach loopback/private addresses (tests, intranets)."
    )
    fetch_timeout_s: float = Field(20.0, gt=0, description="Total time one HTTP fetch may take.")
    fetch_max_bytes: int = Field(15 * 1024 * 1024, ge=1, description="Decompressed body cap.")
    fetch_max_redirects: int = Field(5, ge=0, le=20, description="Redirects followed.")
    fetch_per_host_concurrency: int = Field(2, ge=1, description="Parallel fetches per host.")
    user_agent: str = Field("newsworker/0.1 (news ingestion worker)",
                            description="User-Agent of every fetch.")
    respect_robots_txt: bool = Field(
        True, description="Fetch no article page its site's robots.txt disallows for user_agent."
    )
    robots_cache_ttl_s: float = Field(
        3600.0, gt=0, le=86400, description="How long a site's robots.txt is trusted (s)."
    )
    feed_max_entries: int = Field(2000, ge=1, description="Entries read from one feed document.")
    max_field_chars: int = Field(200_000, ge=1000, description="Longest single text field kept.")

    feeds_file: Path = Field(
        default_factory=lambda: PROJECT_ROOT / "config" / "feeds.yaml",
        description="Feeds polled by beat (plus those added with `feeds add`).",
    )
    feed_polling_enabled: bool = Field(True, description="Beat polls the registered feeds.")
    feed_schedule_interval_s: float = Field(60.0, gt=0, description="Seconds between due checks.")

    nlp_blas_threads: int = Field(
        1, ge=1, description="BLAS threads per process running NLP (workers scale by process)."
    )
    nlp_vocab_growth: int = Field(
        50_000, ge=0,
        description="Words (lexemes) an NLP process keeps for good per language: the common "
                    "words of the news it reads; past that, a batch's new words live as long as "
                    "the batch (spaCy memory zones).")
    nlp_use_blis: bool = Field(
        False, description="Matrix products via thinc's blis instead of numpy's OpenBLAS."
    )

    dev_es_heap: str = Field("512m", description="Heap of the dev/test Elasticsearch node.")
    api_host: str = Field("127.0.0.1", description="Where the search API listens.")
    api_port: int = Field(8000, ge=0, le=65535, description="Search API port (dev up: 0 = free).")
    log_level: str = Field("INFO", description="Log level of workers and CLI.")

    @property
    def celery_broker_url(self) -> str:
        """Where task messages go: ``broker_url`` if set, else the ledger's Redis."""
        return self.broker_url or self.redis_url

    @property
    def elasticsearch_hosts(self) -> list[str]:
        """The node URLs of ``elasticsearch_url``."""
        return [h.strip() for h in self.elasticsearch_url.split(",") if h.strip()]


@functools.cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
