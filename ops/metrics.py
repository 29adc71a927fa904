"""Prometheus metrics (prometheus_client): the exposition of every counter the apps define
(oauth/metrics.py: the token endpoint's answers), and the outbox's gauges (ops/outbox.py).

Under gunicorn every worker is a process of its own: with PROMETHEUS_MULTIPROC_DIR set (before
the process starts), prometheus_client keeps each worker's counters in files there and the
exposition adds them up, so any worker answers a scrape with the totals of all of them
(config/gunicorn_conf.py empties the directory when gunicorn starts).
"""

from __future__ import annotations

import os

from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess

from .outbox import OutboxCollector


def exposition() -> bytes:
    """The metrics in Prometheus' text format: every worker's, in multiprocess mode, then the
    outbox's, read from the database (ops/outbox.py)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        counters = generate_latest(registry)
    else:
        counters = generate_latest(REGISTRY)
    outbox = CollectorRegistry()
    outbox.register(OutboxCollector())
    return counters + generate_latest(outbox)
