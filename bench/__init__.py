"""`python -m worker bench`: throughput, limits and memory of the pipeline on this machine.

Entry point: :func:`bench.run.main`. Every ``worker.*`` import is in :mod:`bench.worker_api`
except the corpus's record and seed-parser imports at the top of :mod:`bench.corpus`, so
moving a worker module means re-pointing those two files.
"""
