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

import base64
import contextlib
import html
import io
import json
import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlencode, urlsplit, urlunsplit

from bench import report
from bench.config import (
    APPS,
    DOCS,
    DURATION,
    LIMIT_MESSAGE,
    ONLY,
    PARALLEL_CREATES,
    PG_BENCH_DB,
    REPETITIONS,
    ROOT,
    RSS_CHUNKS,
    RSS_CONNECTIONS,
    RSS_REQUESTS,
    S_KEYS,
    SCALE,
    THREADS,
    TOKENS,
    WARMUP,
    WORKERS,
    WRK,
    wanted,
)
from bench.load import Scenario, Server, drain, measure_rounds, memory_mb, wrk_command, wrk_result

if TYPE_CHECKING:
    from bench.seed import Seeded

# --- the database -----------------------------------------------------------------------------


def prepare_database(workdir: Path) -> tuple[str, callable]:
    """The benchmark's own database URL, and how to drop it afterwards."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return f"sqlite:///{workdir / 'bench.sqlite3'}", lambda: None
    import psycopg

    parts = urlsplit(url)
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    bench_url = urlunsplit(parts._replace(path=f"/{PG_BENCH_DB}"))

    def drop() -> None:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {PG_BENCH_DB} WITH (FORCE)")

    drop()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {PG_BENCH_DB}")
    return bench_url, drop


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def generate_wrong(secret: str) -> str:
    """A secret of the same shape that is not the App's."""
    wrong = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    assert wrong != secret
    return wrong


def build_scenarios(seeded, stock: dict) -> list[Scenario]:
    """Every row measured on the small data, in table order."""
    token_body = urlencode({"grant_type": "client_credentials"})
    trusted = seeded.trusted
    return [
        Scenario("B", "bare view (the yardstick)", "portal", "/bench/bare"),
        Scenario("B0", "bare view, no middleware (B0's own project, same gunicorn)", "bare", "/bench/bare"),
        Scenario(
            "P1", "client_credentials at /oauth/token.php", "portal", "/oauth/token.php", "POST",
            {"Authorization": basic(trusted.client_id, seeded.client_secret)}, token_body,
        ),
        Scenario(
            "P2", "the same with a wrong secret", "portal", "/oauth/token.php", "POST",
            {"Authorization": basic(trusted.client_id, generate_wrong(seeded.client_secret))},
            token_body, expect=401,
        ),
        Scenario(
            "P3", "GET /uapi/@me with a valid token", "portal", "/uapi/@me",
            headers={"Authorization": f"Bearer {seeded.bearer}"},
        ),
        Scenario(
            "P4", f"SystemAPI tab, {APPS} Apps, page 1", "portal",
            f"/accounts/{seeded.many.pk}/apps/?api=systemapi",
            headers={"Cookie": f"sessionid={seeded.sessions[0]}"},
        ),
        Scenario(
            "P7", "introspection by a resource server, another App's valid token", "portal",
            "/oauth/introspect", "POST",
            {"Authorization": basic(seeded.resource_server.client_id, seeded.resource_secret)},
            urlencode({"token": seeded.bearer}), answer={"active": True, "client_id": trusted.client_id},
        ),
        Scenario(
            "R1", "stock DOT client_credentials, default secret hashing", "stock", "/o/token/", "POST",
            {"Authorization": basic(*stock["apps"]["hashed"].values())},
            token_body, connections=WORKERS,
        ),
        Scenario(
            "R2", "stock DOT client_credentials, hash_client_secret=False", "stock", "/o/token/", "POST",
            {"Authorization": basic(*stock["apps"]["plain"].values())},
            token_body,
        ),
        Scenario(
            "R3", "stock DOT bearer-protected view", "stock", "/o/protected/",
            headers={"Authorization": f"Bearer {stock['bearer']}"},
        ),
    ]  # fmt: skip


# --- measures in the orchestrating process ------------------------------------------------------


def _send(client, scenario: Scenario, extra: dict):
    if scenario.method == "GET":
        return client.get(scenario.path, **extra)
    return client.post(
        scenario.path, scenario.body, content_type="application/x-www-form-urlencoded", **extra
    )


def queries_per_request(scenarios: list[Scenario]) -> dict[str, int]:
    """How many SQL statements one request of each portal scenario runs (in-process), and
    that it answers as expected (the status; the JSON body's `answer` where one is given)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    counts = {}
    for scenario in scenarios:
        if scenario.server != "portal":
            continue
        client = Client(HTTP_HOST="127.0.0.1", HTTP_X_FORWARDED_PROTO="https")
        headers = {key.upper().replace("-", "_"): value for key, value in scenario.headers.items()}
        extra = {f"HTTP_{key}": value for key, value in headers.items()}
        _send(client, scenario, extra)  # the first request of a process fills caches; count the second
        with CaptureQueriesContext(connection) as captured:
            response = _send(client, scenario, extra)
        if response.status_code != scenario.expect:
            raise RuntimeError(f"{scenario.key}: {response.status_code} in-process, not {scenario.expect}")
        if scenario.answer and {k: response.json().get(k) for k in scenario.answer} != scenario.answer:
            raise RuntimeError(
                f"{scenario.key}: {response.content[:500]!r} in-process, not {scenario.answer}"
            )
        counts[scenario.key] = len(captured)
    return counts


def measure_regenerate(seeded) -> dict:
    """P5: the real service on the App with 100k + 100k tokens; time, statements, bystanders.
    Its tokens must be refused from the moment it returns; their rows are deleted afterwards by
    the scheduled purge, timed apart (not part of P5's target)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from apps_registry.models import AccessToken, RefreshToken
    from apps_registry.services import COMMAND_LINE, app_regenerate_secret, purge_removed_secrets
    from bench.seed import fill_tokens

    def others() -> tuple[int, int]:
        return (
            AccessToken.all_objects.exclude(application=seeded.target).count(),
            RefreshToken.all_objects.exclude(application=seeded.target).count(),
        )

    times, statements, purges, untouched, emptied = [], [], [], True, True
    for repetition in range(REPETITIONS):
        if repetition:
            fill_tokens(seeded.target, TOKENS)
        assert AccessToken.objects.filter(application=seeded.target).count() == TOKENS
        before = others()
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            app_regenerate_secret(actor=seeded.admin, app=seeded.target, origin=COMMAND_LINE)
            times.append(time.perf_counter() - started)
        statements.append(len(captured))
        untouched &= others() == before and before[0] > 0
        # Refused at once: no read of a token (the tokens' manager) finds one.
        emptied &= not AccessToken.objects.filter(application=seeded.target).exists()
        emptied &= not RefreshToken.objects.filter(application=seeded.target).exists()
        started = time.perf_counter()
        purge_removed_secrets()
        purges.append(time.perf_counter() - started)
        emptied &= not AccessToken.all_objects.filter(application=seeded.target).exists()
        emptied &= not RefreshToken.all_objects.filter(application=seeded.target).exists()
        untouched &= others() == before
    return {
        "seconds": statistics.median(times),
        "statements": max(statements),
        "purge_seconds": statistics.median(purges),
        "untouched": untouched,
        "emptied": emptied,
        "others": before,
    }


def parallel_creates(base: str, seeded) -> dict:
    """P6: 16 signed-in Administrators send the Add App form at once to an account with 999 Apps."""
    import requests

    from apps_registry.models import App

    url = f"{base}/accounts/{seeded.race.pk}/apps/add/?api=systemapi"
    origin = base.replace("http://", "https://")
    barrier = threading.Barrier(PARALLEL_CREATES)
    results: list = [None] * PARALLEL_CREATES

    def one(index: int) -> None:
        csrf = secrets.token_hex(16)
        headers = {
            "X-Forwarded-Proto": "https",
            "Cookie": f"sessionid={seeded.sessions[index + 1]}; csrftoken={csrf}",
            "Origin": origin,
        }
        try:
            page = requests.get(url, headers=headers, allow_redirects=False, timeout=60)
            tag = re.search(r'<input[^>]*name="credentials"[^>]*>', page.text)
            credentials = html.unescape(re.search(r'value="([^"]*)"', tag.group(0)).group(1))
            form = {
                "csrfmiddlewaretoken": csrf,
                "credentials": credentials,
                "name": f"Raced App {index}",
                "homepage": "https://app.example/",
                "email": "developer@app.example",
                "redirect_uri": "https://app.example/callback",
            }
        finally:
            barrier.wait()
        response = requests.post(url, data=form, headers=headers, allow_redirects=False, timeout=120)
        results[index] = (response.status_code, LIMIT_MESSAGE in response.text)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(PARALLEL_CREATES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    created = sum(1 for r in results if r and r[0] == 302)
    refused = sum(1 for r in results if r and r[0] == 200 and r[1])
    errors = sum(1 for r in results if r is None or r[0] >= 500)
    return {
        "created": created,
        "refused": refused,
        "server_errors": errors,
        "other": PARALLEL_CREATES - created - refused - errors,
        "apps": App.objects.filter(owner=seeded.race).count(),
    }


# --- C: the purge under load ----------------------------------------------------------------------


# The command as manage.py runs it, once Django is set up in its process: it says so first, so
# that the load starts then and the window measured is the purge, not Python's start.
PURGE = (
    "import django; django.setup(); print('ready', flush=True); "
    "from django.core.management import call_command; call_command('purge_expired')"
)


def purge_under_load(server: Server, scenario: Scenario, directory: Path, env: dict) -> dict:
    """C: `purge_expired` in its own process (the server's environment and settings) while wrk
    runs `scenario` (P1) against the server, from the moment Django is set up in that process
    to its exit (then wrk is stopped with SIGINT, and reports what it measured). What it
    deleted is also counted here: the expired tokens before and after."""
    from django.db import connection
    from django.utils import timezone

    from apps_registry.models import AccessToken

    def expired() -> int:
        return AccessToken.all_objects.filter(expires__lt=timezone.now()).count()

    before = expired()
    connection.close()  # SQLite: no transaction of ours in the purge's way
    script = scenario.script(directory)
    purge = subprocess.Popen(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", PURGE],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "bench.settings"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    load = None
    try:
        if purge.stdout.readline().strip() != "ready":
            raise RuntimeError(f"purge_expired did not start:\n{purge.communicate()[1][-2000:]}")
        command = wrk_command(scenario, server, script, 3600)
        load = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # noqa: S603
        started = time.perf_counter()
        output, errors = purge.communicate(timeout=3000)
        seconds = time.perf_counter() - started
    finally:
        purge.kill()
        if load is not None:
            load.send_signal(signal.SIGINT)
            stdout, stderr = load.communicate(timeout=120)
    drain(server)
    scenario.runs.append(wrk_result(scenario.key, stdout, stderr))
    left = expired()
    connection.close()
    return {
        "seconds": seconds,
        "returncode": purge.returncode,
        "output": output.strip() or errors.strip()[-1000:],
        "deleted": before - left,
        "left": left,
    }


# --- RSS: one worker's memory ---------------------------------------------------------------------

# How each request shape's answer is told apart by its status and body, most specific first:
# the six shapes go out in turn over the same connections, so an answer is matched by content.
RSS_SIGNS = [
    ("P1", '"access_token"'),
    ("P7", '"active": true'),
    ("P3", '"app": {'),
    ("P2", '"invalid_client"'),
    ("P4", "</html>"),
    ("B", "ok"),  # the whole body
]
RSS_LUA = """
local shapes = %(shapes)s
local signs = %(signs)s
local limit = %(limit)d
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args)
  prepared, kinds, sent, answered = {}, {}, 0, 0
  for i, shape in ipairs(shapes) do
    prepared[i] = wrk.format(shape.method, shape.path, shape.headers, shape.body)
  end
end
function request()
  sent = sent + 1
  return prepared[(sent - 1) %% #prepared + 1]
end
local function kind(status, body)
  for _, sign in ipairs(signs) do
    if status == sign.status and ((sign.whole and body == sign.text) or
        (not sign.whole and string.find(body, sign.text, 1, true))) then
      return sign.key
    end
  end
  return "other " .. status
end
function response(status, headers, body)
  local k = kind(status, body)
  kinds[k] = (kinds[k] or 0) + 1
  answered = answered + 1
  if answered == limit then io.write("STOPPED\\n"); io.flush(); wrk.thread:stop() end
end
function done(summary, latency, requests)
  local merged = {}
  for _, thread in ipairs(threads) do
    for k, count in pairs(thread:get("kinds")) do merged[k] = (merged[k] or 0) + count end
  end
  local parts = {}
  for k, count in pairs(merged) do table.insert(parts, string.format('"%%s": %%d', k, count)) end
  io.write(string.format(
    'BENCH {"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p99_us": %%d, "kinds": {%%s}}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    table.concat(parts, ", ")))
end
"""


def _lua(value) -> str:
    """A Lua literal of a JSON-like value (ASCII strings)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"[{_lua(k)}] = {_lua(v)}" for k, v in value.items() if v is not None) + "}"
    if isinstance(value, list):
        return "{" + ", ".join(_lua(v) for v in value) + "}"
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value)


def rss_script(shapes: list[Scenario], limit: int) -> str:
    by_key = {shape.key: shape for shape in shapes}
    signs = [
        {"key": key, "status": by_key[key].expect, "text": text, "whole": key == "B"}
        for key, text in RSS_SIGNS
    ]
    requests = [
        {"method": s.method, "path": s.path, "headers": s.request_headers(), "body": s.body} for s in shapes
    ]
    return RSS_LUA % {"shapes": _lua(requests), "signs": _lua(signs), "limit": limit}


def _run_until_stopped(command: list[str], threads: int) -> dict:
    """A wrk run whose threads each stop after their share of answers, interrupted as soon as
    the first one says STOPPED (or ending at -d). Not later: a stopped wrk thread can leave a
    connection open with no request sent, which the one sync worker would sit reading until
    gunicorn's timeout killed it while the other thread's requests waited behind it."""
    load = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # noqa: S603
    lines, stopped = [], False
    for line in load.stdout:
        lines.append(line)
        if line.startswith("STOPPED") and not stopped:
            load.send_signal(signal.SIGINT)
            stopped = True
    load.wait()
    return wrk_result("RSS", "".join(lines), load.stderr.read())


def measure_rss(server: Server, shapes: list[Scenario], directory: Path) -> dict:
    """RSS: the one sync worker's resident memory after every tenth of RSS_REQUESTS requests of
    B, P1, P2, P3, P4 and P7 in turn (RSS_CONNECTIONS connections), and each answer matched
    to its shape (RSS_SIGNS)."""
    (worker,) = server.worker_pids()
    per_thread = RSS_REQUESTS // RSS_CHUNKS // THREADS
    script = directory / "RSS.lua"
    script.write_text(rss_script(shapes, per_thread))
    command = [
        WRK, f"-t{THREADS}", f"-c{RSS_CONNECTIONS}", "-d600s", "--timeout", "10s", "-s", str(script),
        server.base + server.probe,
    ]  # fmt: skip
    kinds: dict[str, int] = {}
    series, runs = [], []
    print(f"RSS: {RSS_REQUESTS:,} requests on one sync worker (pid {worker})...")
    # Chunks until RSS_REQUESTS are answered (each a little short of its tenth, as it ends
    # with its first thread).
    for _ in range(2 * RSS_CHUNKS):
        if sum(kinds.values()) >= RSS_REQUESTS:
            break
        result = _run_until_stopped(command, THREADS)
        drain(server)
        runs.append(result)
        for key, count in result["kinds"].items():
            kinds[key] = kinds.get(key, 0) + count
        if server.worker_pids() != [worker]:
            print(f"  the worker was replaced; the server's log:\n{server.log.read_text()[-3000:]}")
            break
        series.append((sum(kinds.values()), memory_mb(worker)))
        print(f"  {series[-1][0]:,} requests: {series[-1][1]} MB, {result['kinds']}")
    seconds = sum(run["duration_us"] for run in runs) / 1e6
    return {
        "series": series,  # (requests answered, memory_mb of the worker), after each tenth
        "kinds": kinds,
        "rate": sum(kinds.values()) / seconds,
        "p50_ms": statistics.median(run["p50_us"] for run in runs) / 1000,
        "p99_ms": statistics.median(run["p99_us"] for run in runs) / 1000,
        "same_worker": len(series) == len(runs) and sum(kinds.values()) >= RSS_REQUESTS,
    }


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

        database_url, drop_database = prepare_database(workdir)
        env = {
            **os.environ,
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "APP_SECRET_KEYS": Fernet.generate_key().decode(),
            "ALLOWED_HOSTS": "127.0.0.1",
            "TRUSTED_PROXIES": "127.0.0.1",
            "DATABASE_URL": database_url,
            "BENCH_STATIC_ROOT": str(workdir / "static"),
            "BENCH_STOCK_DB": str(workdir / "stock.sqlite3"),
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
