"""The benchmark's sizes and targets, and the knobs it reads from the environment:

- BENCH_DURATION=N: seconds per repetition (5);
- BENCH_ONLY=P1,P3 (or S, C, RSS, ...): measure only those rows (and their yardstick), and
  leave docs/benchmarks.md alone;
- BENCH_SCALE=0.01: shrink the S data set and the RSS requests by that factor (smoke runs;
  the table says so);
- BENCH_PG_DB=name: the PostgreSQL database the run creates and drops (portal_bench);
- BENCH_DOCS=path: write there instead of docs/benchmarks.md;
- BENCH_WORKERS=1: measure gunicorn worker classes and counts instead (bench/workers.py).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = Path(os.environ.get("BENCH_DOCS") or ROOT / "docs" / "benchmarks.md")
WRK = os.environ.get("WRK", shutil.which("wrk") or "/usr/bin/wrk")
DURATION = int(os.environ.get("BENCH_DURATION", "5"))  # seconds per repetition
WARMUP = 2  # seconds per scenario, discarded
REPETITIONS = 3
CONNECTIONS = 16
THREADS = 2
WORKERS = 2
PARALLEL_CREATES = 16
TOKENS = 100_000
APPS = 1000
LIMIT_MESSAGE = "the most an account may own"
SCALE = float(os.environ.get("BENCH_SCALE", "1"))
PG_BENCH_DB = os.environ.get("BENCH_PG_DB", "portal_bench")
if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", PG_BENCH_DB):  # it goes into CREATE DATABASE as is
    raise SystemExit(f"BENCH_PG_DB={PG_BENCH_DB!r}: lower-case letters, digits and _ only.")
# BENCH_ONLY=B,P1,P3 measures only those rows (while profiling); the table then says so.
ONLY = {key.strip() for key in os.environ.get("BENCH_ONLY", "").split(",") if key.strip()}

# Ratio-to-B targets per database (issue 18; P3 and P7 on PostgreSQL raised by issue 26).
TARGETS = {
    "P1": {"sqlite": 0.30, "postgresql": 0.30},
    "P3": {"sqlite": 0.60, "postgresql": 0.50},
    "P4": {"sqlite": 0.12, "postgresql": 0.12},
    "P7": {"sqlite": 0.45, "postgresql": 0.40},
}
# And against stock django-oauth-toolkit on the same database (issue 26): a row at least this
# many times its reference row's rate, when that row is measured in the same run.
STOCK_TARGETS = {"P1": ("R2", 1.5), "P3": ("R3", 2.0)}
M_TARGET = 0.6  # B / B0
# The S data set at scale 1: 1000 accounts in the Administrator's tree with 100 Apps each, and
# 10 live and 10 expired access tokens per App (1,000,000 of each); BENCH_SCALE shrinks the
# number of accounts.
GROWN_ACCOUNTS = 1000
GROWN_APPS_PER_ACCOUNT = 100
GROWN_TOKENS_PER_APP = 10
S_KEYS = ("P1", "P3", "P4", "P7")  # measured again with the S data, each against its small ratio
S_TOLERANCE = 0.10  # an S ratio may be at most this much below the small-data ratio
PURGE_P99_FACTOR = 2  # C: P1's p99 during the purge, at most this times its quiet p99
# RSS: one sync worker, requests of six shapes in turn, its memory read after each tenth.
RSS_REQUESTS = max(1200, round(100_000 * SCALE))
RSS_CHUNKS = 10
RSS_CONNECTIONS = 4
RSS_LIMIT_MB = 150
RSS_GROWTH_MB = 1  # over the last half: how "no growth" is read


def wanted(key: str) -> bool:
    return not ONLY or key in ONLY
