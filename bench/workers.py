"""`BENCH_WORKERS=1 make bench`: which gunicorn worker class and count to deploy with
(docs/deployment.md). B, P1, P3 and P4 on the small data, the same 16 connections, for sync
workers (2, 3, 4) and gthread ones (2 workers x 4 threads, 1 x 8), all five servers up at once
and measured round-robin (drift hits every configuration alike): a 1 s warm-up and 2 rounds of
3 s per row and configuration (BENCH_DURATION caps the 3 s). It writes its own section of
docs/benchmarks.md per database; the sections of `make bench` stay."""

from __future__ import annotations

from datetime import UTC, datetime

from bench import report
from bench.config import CONNECTIONS, DOCS, DURATION, ONLY
from bench.load import Scenario, measure_rounds

CONFIGURATIONS = [(2, 1), (3, 1), (4, 1), (2, 4), (1, 8)]  # (workers, threads); threads > 1: gthread
KEYS = ("B", "P1", "P3", "P4")
WARMUP = 1
REPETITIONS = 2
SECONDS = min(3, DURATION)


def label(workers: int, threads: int) -> str:
    if threads == 1:
        return f"sync, {workers} workers"
    return f"gthread, {workers} worker{'s' if workers > 1 else ''} x {threads} threads"


def measure(bench, scenarios: list[Scenario]) -> dict[str, dict[str, Scenario]]:
    """Each configuration's rows, by its label and the row's key."""
    by_key = {s.key: s for s in scenarios}
    servers, measured = {}, {}
    for workers, threads in CONFIGURATIONS:
        name = f"{workers}x{threads}"
        servers[name] = bench.serve("bench.settings", f"workers-{name}", workers=workers, threads=threads)
        measured[label(workers, threads)] = rows = {}
        for key in KEYS:
            rows[key] = by_key[key].copy(f"{name}-{key}", by_key[key].what)
            rows[key].server = name
    every = [row for rows in measured.values() for row in rows.values()]
    measure_rounds(every, servers, bench.workdir, warmup=WARMUP, repetitions=REPETITIONS, duration=SECONDS)
    for server in servers.values():
        server.stop()
    return measured


def _cell(scenario: Scenario) -> str:
    return f"{scenario.median('rate'):,.0f} ({scenario.median('p99_us') / 1000:.0f})"


def section(measured: dict[str, dict[str, Scenario]], vendor: str, info: dict) -> str:
    rows = [
        "| gunicorn | " + " | ".join(KEYS) + " | answers as expected |",
        "|---|" + "---:|" * len(KEYS) + "---|",
    ]
    for name, scenarios in measured.items():
        expected = all(s.all_expected() for s in scenarios.values())
        cells = " | ".join(_cell(scenarios[key]) for key in KEYS)
        rows.append(f"| {name} | {cells} | {'yes' if expected else '**no**'} |")
    machine_lines = "\n".join(f"- {key}: {value}" for key, value in info.items())
    database = "" if vendor == "sqlite" else "DATABASE_URL=postgres://... "
    return (
        f"## Worker class and count, {report.VENDOR_TITLES[vendor]}\n\n"
        f"Written by `{database}BENCH_WORKERS=1 make bench` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC. "
        f"Each cell: req/s (p99 ms), the median of {REPETITIONS} runs of {SECONDS} s after a {WARMUP} s "
        f"warm-up, {CONNECTIONS} connections, on the small data (the rows of the same names above).\n\n"
        + "\n".join(rows)
        + f"\n\nMachine:\n\n{machine_lines}"
    )


def run(bench, scenarios: list[Scenario]) -> int:
    from django.db import connection

    connection.close()
    measured = measure(bench, scenarios)
    info = report.machine(bench.vendor, warmup=WARMUP, repetitions=REPETITIONS, duration=SECONDS)
    info.pop("gunicorn")
    text = section(measured, bench.vendor, info)
    print()
    print(text)
    if not ONLY:
        report.write_docs(f"workers-{bench.vendor}", text)
        print(f"\nWritten to {DOCS}.")
    return 0
