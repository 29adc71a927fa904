"""`make bench`: the portal served as in production, under load from wrk, as ratios to a bare view.

One run: a fresh database (SQLite in a temporary directory, or a PostgreSQL database next to
the one DATABASE_URL names, created and dropped here), migrated and seeded in bulk; gunicorn
with 2 sync workers on 127.0.0.1, DEBUG off, the portal's middleware, behind an imagined TLS
proxy (wrk sends X-Forwarded-Proto: https); a bare Django project (no middleware, one view: B0)
and a stock django-oauth-toolkit project (the reference rows) served the same way. Every load
figure is the median of 3 repetitions, taken round-robin so that drift hits every row alike,
after a warm-up. The phases, in this order:

1. the small data: B, B0, P1-P4, P7, R1-R3; then P6 over HTTP and P5 in-process;
2. S: the database grown to 100,000 Apps over 1,000 accounts with 1,000,000 live and 1,000,000
   expired access tokens (bench.seed.grow, timed), a fresh portal server, B, P1, P3, P4 and P7
   again, each against its small-data ratio;
3. C: `purge_expired` in its own process on the S data while wrk runs P1;
4. RSS: a gunicorn with one sync worker, 100,000 requests of six shapes in turn, its memory
   read after every tenth.

The table goes to stdout and to docs/benchmarks.md (this database's section). The knobs
(BENCH_ONLY, BENCH_SCALE, BENCH_WORKERS, ...) are described in bench/config.py.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from bench import report
from bench.config import (
    APPS,
    DOCS,
    DURATION,
    ONLY,
    PARALLEL_CREATES,
    PG_BENCH_DB,
    REPETITIONS,
    ROOT,
    S_KEYS,
    SCALE,
    TOKENS,
    WARMUP,
    WRK,
    wanted,
)
from bench.load import Scenario, Server, measure_rounds
from bench.measures import measure_regenerate, parallel_creates, purge_under_load, queries_per_request
from bench.rss import measure_rss
from bench.scenarios import build_scenarios

if TYPE_CHECKING:
    from bench.seed import Seeded


# --- the database -----------------------------------------------------------------------------


def prepare_database(workdir: Path) -> tuple[str, str, callable]:
    """The benchmark's own database URL, the stock project's (on the same server: its rows
    compare like with like), and how to drop them afterwards."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return (
            f"sqlite:///{workdir / 'bench.sqlite3'}",
            f"sqlite:///{workdir / 'stock.sqlite3'}",
            lambda: None,
        )
    import psycopg

    parts = urlsplit(url)
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    names = (PG_BENCH_DB, f"{PG_BENCH_DB}_stock")

    def drop() -> None:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            for name in names:
                conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    drop()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        for name in names:
            conn.execute(f"CREATE DATABASE {name}")
    return (*(urlunsplit(parts._replace(path=f"/{name}")) for name in names), drop)


# --- the run ----------------------------------------------------------------------------------


@dataclass
class Bench:
    """What the phases share: the environment of every process, the working directory, the
    seeded data and the servers running (stopped whatever happens)."""

    env: dict
    workdir: Path
    vendor: str
    seeded: Seeded
    stock: dict
    servers: list[Server] = field(default_factory=list)

    def serve(self, settings: str, name: str, probe: str = "/bench/bare", **options) -> Server:
        server = Server(settings, self.env, self.workdir / f"{name}.log", probe, **options)
        self.servers.append(server)
        server.wait_ready()
        return server


@contextlib.contextmanager
def prepared():
    """A fresh database, migrated and seeded, and the stock project seeded; everything the run
    made is stopped, dropped and removed on the way out."""
    workdir = Path(tempfile.mkdtemp(prefix="portal-bench-"))
    drop_database = lambda: None  # noqa: E731
    bench = None
    try:
        from cryptography.fernet import Fernet

        database_url, stock_database_url, drop_database = prepare_database(workdir)
        env = {
            **os.environ,
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "APP_SECRET_KEYS": Fernet.generate_key().decode(),
            "ALLOWED_HOSTS": "127.0.0.1",
            "TRUSTED_PROXIES": "127.0.0.1",
            "DATABASE_URL": database_url,
            "BENCH_STATIC_ROOT": str(workdir / "static"),
            "BENCH_STOCK_DATABASE_URL": stock_database_url,
            "LOG_LEVEL": "WARNING",
            "DJANGO_SETTINGS_MODULE": "bench.settings",
        }
        os.environ.update(env)
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        from bench.seed import seed

        print(f"Database: {connection.vendor} ({connection.settings_dict['NAME']}); migrating and seeding...")
        started = time.monotonic()
        call_command("migrate", verbosity=0, stdout=io.StringIO())
        call_command("collectstatic", "--noinput", verbosity=0, stdout=io.StringIO())
        seeded = seed(apps=APPS, tokens=TOKENS, sessions=PARALLEL_CREATES + 1)
        subprocess.run(  # noqa: S603
            [sys.executable, "-m", "bench.stock", str(workdir / "stock.json")],
            cwd=ROOT,
            env={**env, "DJANGO_SETTINGS_MODULE": "bench.stock_settings"},
            check=True,
        )
        stock = json.loads((workdir / "stock.json").read_text())
        print(f"Seeded in {time.monotonic() - started:.0f} s.")
        bench = Bench(env=env, workdir=workdir, vendor=connection.vendor, seeded=seeded, stock=stock)
        connection.close()
        yield bench
    finally:
        for server in bench.servers if bench else ():
            server.stop()
        with contextlib.suppress(Exception):
            from django.db import connections

            connections.close_all()
        with contextlib.suppress(Exception):
            drop_database()
        shutil.rmtree(workdir, ignore_errors=True)


def small_phase(bench: Bench, scenarios: list[Scenario], results: report.Results) -> None:
    """The rows on the small data, then P6 while the portal still runs, then P5 in-process."""
    from django.db import connection

    rows = [s for s in scenarios if wanted(s.key) or (s.key == "B0" and wanted("M"))]
    if rows or wanted("P6"):
        if scenarios[0] not in rows:
            rows.insert(0, scenarios[0])  # B: every ratio's yardstick
        results.queries.update(queries_per_request(rows))
        connection.close()
        servers = {"portal": bench.serve("bench.settings", "portal")}
        if any(s.server == "bare" for s in rows):
            servers["bare"] = bench.serve("bench.bare_settings", "bare")
        if any(s.server == "stock" for s in rows):
            servers["stock"] = bench.serve("bench.stock_settings", "stock", "/o/protected/")
        measure_rounds(
            rows, servers, bench.workdir, warmup=WARMUP, repetitions=REPETITIONS, duration=DURATION
        )
        results.scenarios.update({s.key: s for s in rows})
        if wanted("P6"):
            print(f"P6: {PARALLEL_CREATES} parallel creates at {APPS - 1} Apps...")
            results.race = parallel_creates(servers["portal"].base, bench.seeded)
            connection.close()
        for server in servers.values():
            server.stop()
    if wanted("P5"):
        print(f"P5: regenerate on the App with {TOKENS // 1000}k + {TOKENS // 1000}k tokens...")
        results.regen = measure_regenerate(bench.seeded)
        connection.close()


def large_phase(bench: Bench, scenarios: list[Scenario], results: report.Results) -> None:
    """S and C: the database grown, a fresh portal server, B and the S rows again (only B and
    P1, P1's quiet p99, when C alone is wanted), then the purge under P1's load."""
    from django.db import connection

    from bench.seed import fill_tokens, grow

    if not (wanted("S") or wanted("C")):
        return
    if results.regen is not None:  # P5 ended with the App's tokens purged: S is the small data grown
        fill_tokens(bench.seeded.target, TOKENS)
    print(f"S: growing the database (scale {SCALE:g})...")
    results.grown = grow(bench.seeded.admin, scale=SCALE)
    steps = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in results.grown.seconds.items())
    print(f"  {results.grown}\n  in {results.grown.total_seconds:.0f} s: {steps}")
    by_key = {s.key: s for s in scenarios}
    keys = ("B", *S_KEYS) if wanted("S") else ("B", "P1")
    rows = [by_key[key].copy(f"S-{key}", f"{by_key[key].what}, S data") for key in keys]
    results.queries.update(queries_per_request(rows))
    connection.close()
    portal = bench.serve("bench.settings", "portal-s")
    measure_rounds(
        rows, {"portal": portal}, bench.workdir, warmup=WARMUP, repetitions=REPETITIONS, duration=DURATION
    )
    results.scenarios.update({s.key: s for s in rows})
    if wanted("C"):
        print("C: purge_expired while P1 runs...")
        load = by_key["P1"].copy("C", "P1 while purge_expired runs on the S data")
        results.purge = purge_under_load(portal, load, bench.workdir, bench.env)
        results.scenarios["C"] = load
        print(f"  {results.purge}")
    portal.stop()


def rss_phase(bench: Bench, scenarios: list[Scenario], results: report.Results) -> None:
    if not wanted("RSS"):
        return
    server = bench.serve("bench.settings", "rss", workers=1)
    shapes = [s for s in scenarios if s.key in ("B", "P1", "P2", "P3", "P4", "P7")]
    results.rss = measure_rss(server, shapes, bench.workdir)
    server.stop()


def _stop_on_sigterm(signum, frame):
    raise KeyboardInterrupt


def main() -> int:
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    if not Path(WRK).exists():
        print(f"wrk not found at {WRK}: `make bench` installs Debian's wrk package.", file=sys.stderr)
        return 2
    started = time.monotonic()
    try:
        with prepared() as bench:
            scenarios = build_scenarios(bench.seeded, bench.stock)
            if os.environ.get("BENCH_WORKERS"):
                from bench import workers

                return workers.run(bench, scenarios)
            results = report.Results(vendor=bench.vendor)
            small_phase(bench, scenarios, results)
            large_phase(bench, scenarios, results)
            rss_phase(bench, scenarios, results)
            info = report.machine(bench.vendor)
            info["this run"] = f"{(time.monotonic() - started) / 60:.1f} min"
            section, missed = report.vendor_section(results, info)
            print()
            print(section)
            if not ONLY:
                report.write_docs(bench.vendor, section)
                print(f"\nWritten to {DOCS}.")
            print(f"Missed: {', '.join(sorted(missed))}." if missed else "Every target met.")
            return 1 if missed else 0
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130
