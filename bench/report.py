"""What a run found, as the table printed and written to docs/benchmarks.md: a section per
database (bench/run.py) and a section per database on worker classes (bench/workers.py), each
rewritten by its own last run while the others stay. The table itself is built in
bench/table.py."""

from __future__ import annotations

import contextlib
import os
import platform
import re
import subprocess
import textwrap
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from bench.config import (
    APPS,
    CONNECTIONS,
    DOCS,
    DURATION,
    GROWN_ACCOUNTS,
    GROWN_APPS_PER_ACCOUNT,
    GROWN_TOKENS_PER_APP,
    PG_BENCH_DB,
    REPETITIONS,
    RSS_CONNECTIONS,
    RSS_GROWTH_MB,
    RSS_LIMIT_MB,
    RSS_REQUESTS,
    S_TOLERANCE,
    THREADS,
    WARMUP,
    WORKERS,
    WRK,
)
from bench.load import Scenario
from bench.table import build_table

if TYPE_CHECKING:
    from bench.seed import Grown

VENDOR_TITLES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


@dataclass
class Results:
    vendor: str
    scenarios: dict[str, Scenario] = field(default_factory=dict)  # the S phase's keys begin "S-"
    queries: dict[str, int] = field(default_factory=dict)
    regen: dict | None = None
    race: dict | None = None
    grown: Grown | None = None
    purge: dict | None = None
    rss: dict | None = None


def machine(
    db_vendor: str, *, warmup: int = WARMUP, repetitions: int = REPETITIONS, duration: int = DURATION
) -> dict:
    import django
    import gunicorn
    import oauth2_provider
    from django.db import connection

    cpu = "unknown"
    with contextlib.suppress(OSError):
        match = re.search(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.M)
        cpu = match.group(1).strip() if match else cpu
    memory = "unknown"
    with contextlib.suppress(OSError):
        match = re.search(r"^MemTotal:\s*(\d+) kB", Path("/proc/meminfo").read_text(), re.M)
        memory = f"{int(match.group(1)) / 1024 / 1024:.1f} GiB" if match else memory
    with connection.cursor() as cursor:
        cursor.execute("SELECT sqlite_version()" if db_vendor == "sqlite" else "SELECT version()")
        db_version = cursor.fetchone()[0]
    wrk_version = subprocess.run([WRK, "-v"], capture_output=True, text=True).stdout.split("\n")[0]  # noqa: S603
    return {
        "CPU": f"{cpu}, {os.cpu_count()} logical cores",
        "RAM": memory,
        "OS": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "Django": django.get_version(),
        "django-oauth-toolkit": oauth2_provider.__version__,
        "gunicorn": f"{gunicorn.__version__}, {WORKERS} sync workers",
        "database": f"{'SQLite' if db_vendor == 'sqlite' else 'PostgreSQL'} {db_version.split(' on ')[0]}",
        "load": f"{wrk_version.split(' Copyright')[0]}, {THREADS} threads, {CONNECTIONS} connections, "
        f"{warmup} s warm-up, {repetitions} x {duration} s",
    }


# What holds a row back where the targets are known to be missed (profiled; see the README and
# issue 18's closing note). Each says where the time goes and what design would meet it.
NOTES = {
    ("P5", "sqlite"): "P5 on SQLite: regenerate marks the App's secrets removed (their tokens are refused "
    "by every read from then on), counts their tokens and deletes the App's codes; the rows go "
    "afterwards, in bounded batches, by the scheduled purge. Missing 0.5 s means the count of 100k + "
    "100k index entries, or the machine, was slower than measured when this design was made.",
    ("M", None): "M: in-process (CPU time, the least of 7 x 3000 requests; issue 26's sixteenth "
    "session, on a 2-core Intel Xeon) the bare view takes 43 us in B0's project (no middleware, no "
    "installed app) and 123 us through the portal's 17 middleware. Taken out one at a time (two runs "
    "of 3 x 1000), their own shares: the Content-Security-Policy 11-12 us (its header already built "
    "once per process), SecurityMiddleware 10 (the scheme checked twice, four headers), the htmx "
    "sign-in 8-9 (it reads request.headers, which only this bare view never builds: every real page "
    "and API view does), CommonMiddleware 7, the signed-in user 3-4, the messages 3-4, allauth's 3-4, "
    "CORS 3, X-Frame-Options 2-3, axes 1.7, CSRF 1-2, the forwarded headers under 1; the rest is what "
    "the portal's installed apps and URLconf add to Django's own work. A layer as such costs 0.25 us "
    "(0.47 through Django's MiddlewareMixin), so folding middleware into fewer layers would buy about "
    "3 us. Under load each in-process microsecond of B costs about two of the two cores (that "
    "session's PostgreSQL run: B 430 us a request, B0 247; gunicorn, the socket, the connection each "
    "sync worker opens and closes per request, and wrk are the same for both). Django's own receivers "
    "of request_started and request_finished (26 us of the 123) run in B0 too: a saving there would "
    "lower M. B and B0 are the two fastest rows, and move most with the CPU and with whatever else "
    "the machine does: B0 ran at 1.43-1.49 x B on the AMD EPYC machines of this kind (M 0.67-0.76) "
    "and at 1.61-1.84 x on the Intel Xeon ones (M 0.54-0.62); on one machine, fresh gunicorn servers "
    "differ by 3 % in B's rate, one afternoon's runs by up to 13 %. M and the P rows pull against "
    "each other: every P row is a ratio to B, so a microsecond taken from the middleware raises M "
    "and lowers each of them. In that session's PostgreSQL run (M 0.574, P1 0.301, P7 0.391), "
    "meeting M, P1 and P7 together would have taken 19 us of the two cores off every portal request "
    "(4.4 % of B's) and a further 38 us off P1's (2.7 %) and 54 us off P7's (4.9 %).",
    ("C", None): "C: the purge deletes the expired tokens of 500 ids per transaction (about 250 rows, "
    "each taken out of the token table's eight indexes), copies SQLite's log back itself between "
    "batches (a PASSIVE checkpoint, with wal_autocheckpoint off for its connection: otherwise "
    "whichever COMMIT found the log past 1000 pages, often a token request's, copied and synced the "
    "purge's pages while every writer waited) and then waits three times as long as the batch took, "
    "so it holds the write lock at most a quarter of the time; a token request that arrives during "
    "a batch waits for it (on SQLite, the one write lock; on PostgreSQL, the cores the deletes "
    "share). The first design, 2000 ids and a fixed 2 ms pause, left P1's p99 at 27 times its "
    "quiet one on SQLite; a pause as long as the batch, 2.8 times; the pause tripled, 2.6; the "
    "checkpoints moved into the pauses, 1.7-2.1 (issue 26). The cost: a million expired tokens "
    "take about 150 s to purge on this machine, where they took 70-100 s.",
    ("P1", None): "P1: a plain client_credentials request takes the portal's own path "
    "(oauth/views/client_credentials.py, issue 26): the Basic header or the body read directly, one "
    "prepared SELECT for the App (since issue 26's fifteenth session only the six columns the path "
    "uses: oauth/clients.py) and its live secrets, one INSERT compiled once (on PostgreSQL in "
    "autocommit, no BEGIN/COMMIT around it; on SQLite in a transaction of its own, so it queues at "
    "the writer lock file rather than sleeping in SQLite's busy handler: 0.283 -> 0.335 B), "
    "the JSON answer; no oauthlib request is built. django-oauth-toolkit "
    "answers everything else (the tests run every client_credentials case through both paths). "
    "On PostgreSQL that is two round trips, where it was four (the connection's health check, the "
    "App row, the INSERT, the COMMIT), and the INSERT commits without waiting for its WAL flush "
    "(synchronous_commit off for its own transaction, set by the statement itself: "
    "portal.speedups.prepared.insert; "
    "the flush had cost 1.8-2.4 ms a commit here, more than the rest of the request; what it costs: "
    "a crash of PostgreSQL itself can lose the tokens of its last 600 ms, whose clients are refused "
    "at their next call and ask again). What is left: the INSERT runs three triggers (migrations "
    "0005 and 0009) that share-lock the App, secret and account rows, so concurrent requests of one "
    "App meet on the same rows; the secret's decryption (Fernet) and the token's generation; the "
    "middleware. On PostgreSQL the SELECT is prepared on the server (portal.speedups.statements."
    "planned_once_cursor): planning it had cost 2-4 times running it; the INSERT too since issue "
    "26's ninth session (it had been sent as text with its values, parsed and planned each time): "
    "in-process 713-721 -> 630-647 us a request, 522-531 -> 480-492 of them the worker's CPU; make "
    "bench, BENCH_ONLY=B,P1,P7, old / new alternated twice: P1 0.307 / 0.304 -> 0.326 / 0.321 B.",
    (
        "P3",
        "postgresql",
    ): "P3 on PostgreSQL: one query, prepared once per process (portal.speedups.prepared), and since "
    "issue 26 no connection health check before it (CONN_HEALTH_CHECKS off: a SELECT 1 round trip "
    "on every request; a restarted PostgreSQL now costs each worker one failed request, "
    "docs/deployment.md), and planned once per connection (portal.speedups.statements."
    "planned_once_cursor: psycopg prepares it on the server; the four-table join took 0.2-0.4 ms "
    "to plan and 0.07-0.15 ms to run). A Unix socket instead of TCP (DATABASE_URL with the "
    "socket's directory as host) makes the one round trip cheaper where PostgreSQL runs on the same host.",
    ("P4", None): "P4: the App list's counts are read for the page's 50 Apps only, over a"
    " token index (issue 18 took PostgreSQL's page from 2.7 s to about 20 ms: a misjudged count "
    "had spent 0.4 s in JIT compilation, now off). Issue 26 took the page's CPU in-process "
    "(SQLite, 1000 Apps) from 7.5 to about 3.3 ms on the machine of its first session: the column"
    " headings, filters, numbered pages and side menu written in Python as the rows are; the "
    "facet counts, the rows and their two counts, the session, the signed-in account and the "
    "account with its parents read by queries compiled once per shape "
    "(portal.speedups.prepared.Shaped), and since its second session planned once per connection "
    "on PostgreSQL too (8.73 -> 7.51 ms a page there); the facet counts from one covering index, "
    "app_owner_facets, in its order (SQLite's query 538 -> 354 us; on PostgreSQL only since its "
    "sixth session, when the counts stopped reading the key, which that index does not hold: 0.76"
    " -> 0.40 ms on a vacuumed table); only the converted columns of a row converted; no queryset"
    " built for rows that are read compiled (the rows and counts 780 -> 565 us). Each costs HTML "
    "in Python strings escaped by hand, or SQL text kept per process (at most 512 shapes per "
    "query); no row is ever cached. Its sixth session: Django's translation machinery off "
    "(USE_I18N) and the static files' URLs remembered (portal.speedups.static): 30.2 -> 28.1 "
    "million instructions a page (callgrind, SQLite). Its seventh: on PostgreSQL one generic plan "
    "per prepared statement (plan_cache_mode; the live-token count had been planned afresh at "
    "every run: the server's CPU a page 0.51 -> 0.35 ms), the pager's links encoded once (23.56 "
    "-> 23.10 million instructions a page on PostgreSQL), this row sends the CSRF cookie a "
    "signed-in browser holds (23.11 -> 22.91), the counts of the page's live tokens as one array "
    "of its Apps (portal.speedups.among: 22.94 -> 21.96), then read with the rows in one statement "
    "(7 queries a page -> 5; 21.97 -> 20.51 million on PostgreSQL, 27.14 -> 26.94 on SQLite). "
    "Where a page's time went before that last change (py-spy, in-process, PostgreSQL): the 50 "
    "rows' HTML 18 %, the rest of the templates about 25 % (variables and {% if %} 10 %, {% url %} "
    "and reverse() 5 %, the pager, the side menu), the rows, their counts and the facet counts "
    "with their waits on the server 23 %, the session and the signed-in account 12 %, the account "
    "with its parents 3 %; PostgreSQL's own CPU about 0.35 ms (the facet counts 0.10 of it). "
    "Nothing left is large: the facet counts read only when the "
    "folded filter panel is opened (as the Django admin shows its facets on request since Django "
    "5.0) would save about 3 % net of the count the tabs and pager still need: not made. Its eighth"
    " session: each view name and its arguments reversed once per process, by {% url %} too "
    "(portal.speedups.urls: 20.57 -> 19.87 million instructions a page on PostgreSQL), and the "
    "rows, headings, filters, pager and side menu written as f-strings, not str.format templates "
    "with named fields (19.87 -> 17.84; on SQLite all of it 27.02 -> 23.84). Its tenth: the "
    "page's ids chosen first from an index of (owner, api, name, id), in order and from the index "
    "alone; PostgreSQL's one plan for every account, made for the average one, had sorted all of "
    "the account's Apps on the S data (the rows' statement 1.4 -> 0.5 ms there, the same on the "
    "small data). R4, the Django admin's changelist of the same Apps, costs 6 to 9 times as much.",
    ("P7", None): "P7: introspection is one prepared query (the caller's App with its secrets "
    "and its owner's standing, and the token with its App and accounts, as the two branches of a "
    "UNION ALL since issue 26's fourteenth session: portal.speedups.statements.read_together; "
    "four queries before issue 18, three before issue 26, then two), and the caller is "
    "authenticated from the Basic header or the body directly (oauth/clients.py), not through an "
    "oauthlib request. On PostgreSQL that is one round trip, where it was four (with the health "
    "check; two until issue 26's third session, then one pipeline of two statements), planned "
    "once per connection (portal.speedups.statements.planned_once_cursor; the token's "
    "six-table join took 0.3 ms to plan, 0.08 ms to run). The secret is decrypted once per "
    "process since issue 26's twelfth session (apps_registry/crypto.py: keyed digests compared; "
    "Fernet's decryption cost about 70 us within a request), and since its fifteenth the "
    "caller's App is read with the four columns introspection uses, not all 31 (oauth/clients.py: "
    "in-process 603-617 -> 572-576 us on PostgreSQL). What is left: the token lookup's "
    "join (the token, its App, the owner with its ancestors, the user), the middleware and the "
    "JSON answer. On SQLite, Django's conversion of each query's %s to ? (a regular expression "
    "over 2.2-2.5 KB of SQL, 23-26 us a statement) is now done once per query text "
    "(portal.speedups.sqlite3): 525 -> 460-480 us a request in-process. On PostgreSQL "
    "the client's share is larger than the server's: in-process 790 us of the worker's CPU (SQLite: "
    "470), of which the App row's read was about 150 (a bare SELECT 1 through Django: 26; psycopg's "
    "own loaders instead of Django's time-zone-aware ones and no Django cursor: 64 for the same row). "
    "Since issue 26's fifth session psycopg's compiled loader reads the timestamps "
    "(portal.speedups.postgresql: Django's is its Python one, about 7 us a value): in-process on a "
    "day this machine ran B at 0.6 times the day before's rate, introspection 1,080-1,230 -> "
    "990-1,090 us, the token endpoint 1,320-1,650 -> 1,180-1,490 us, the App list 7.9-8.5 -> "
    "7.7-8.1 ms.",
}


def vendor_section(results: Results, info: dict) -> tuple[str, set[str]]:
    """This database's section: the table, what is under it, the notes on missed rows, the machine."""
    table, details, missed = build_table(results)
    vendor = results.vendor
    command = "make bench" if vendor == "sqlite" else "DATABASE_URL=postgres://... make bench"
    wanted_notes = (text for (key, on), text in NOTES.items() if key in missed and on in (None, vendor))
    paragraphs = [*details, *dict.fromkeys(wanted_notes)]
    machine_lines = "\n".join(f"- {key}: {value}" for key, value in info.items())
    text = (
        f"## {VENDOR_TITLES[vendor]}\n\nWritten by `{command}` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC."
        f"{' Missed: ' + ', '.join(sorted(missed)) + '.' if missed else ' Every target met.'}"
        f"\n\n{table}\n\n" + "".join(f"{p}\n\n" for p in paragraphs) + f"Machine:\n\n{machine_lines}"
    )
    return text, missed


# The sections of docs/benchmarks.md, in their order; each is rewritten by its own runs only.
SECTIONS = ("sqlite", "postgresql", "workers-sqlite", "workers-postgresql")


def _section_marks(name: str) -> tuple[str, str]:
    return f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"


def write_docs(name: str, text: str) -> None:
    """Rewrite the introduction and section `name` of docs/benchmarks.md; the other sections,
    from their own last runs, stay as they were."""
    old = DOCS.read_text() if DOCS.exists() else ""
    sections = {}
    for each in SECTIONS:
        begin, end = _section_marks(each)
        if each == name:
            sections[each] = f"{begin}\n{text}\n{end}"
        elif begin in old and end in old:
            sections[each] = old[old.index(begin) : old.index(end) + len(end)]
    body = "\n\n".join(sections[each] for each in SECTIONS if each in sections)
    DOCS.write_text(f"{introduction()}\n\n{body}\n")


def introduction() -> str:
    """INTRODUCTION with its paragraphs filled again (the figures put in change their lengths)."""
    paragraphs = (" ".join(paragraph.split()) for paragraph in INTRODUCTION.split("\n\n"))
    options = {"width": 95, "break_long_words": False, "break_on_hyphens": False}
    return "\n\n".join(textwrap.fill(paragraph, **options) for paragraph in paragraphs)


INTRODUCTION = f"""# Benchmarks

Written by `make bench` (bench/run.py), one section per database, each from its own last run;
the sections on gunicorn's worker class and count by `BENCH_WORKERS=1 make bench`
(bench/workers.py), likewise one per database.

Every rate is the median of {REPETITIONS} runs of {DURATION} s (after a {WARMUP} s warm-up),
shown as a ratio to B, a bare view behind the portal's whole middleware, measured in the same
run. B0 is the same view in a project with no middleware at all (bench/bare_settings.py),
served by the same gunicorn; M = B / B0 is what the portal's middleware leaves of a request.
Latencies are wrk's, per request, with {CONNECTIONS} connections on {WORKERS} gunicorn sync
workers (so they include queueing). SQL/request is counted in-process for one request of the
same shape. P7 is RFC 7662 introspection by a resource server (an App an Administrator marked
so) of a valid token of another App in its Administrator's tree; its answer is checked once
in-process ("active": true). R1-R3 are a stock django-oauth-toolkit project (Django's default
middleware, persistent connections as the portal's) served the same way, on a database of its
own on the same server as the P rows (a SQLite file of its own, or a second database on the
same PostgreSQL server): each database, once seeded, settled as autovacuum leaves a production
one (bench/settle.py: VACUUM ANALYZE on PostgreSQL, whose visibility map lets a query be
answered from an index alone; ANALYZE on SQLite). R1 with DOT's default secret
hashing, R2 without it; R1 runs with {WORKERS} connections, one per worker, since each of its
requests hashes a secret for a quarter of a second or more and 16 queued ones would spill into
the next row. R4 is the portal's own Django admin changelist of P4's {APPS} Apps
(/admin/apps_registry/app/?owner__id__exact=..., 50 a page, the same signed-in Administrator), on
the portal's server and database: P4 must be faster. P2's "as fast as P1" is read as at least 0.9
times P1's rate.

S is the same database grown to {GROWN_ACCOUNTS * GROWN_APPS_PER_ACCOUNT:,} Apps
({GROWN_APPS_PER_ACCOUNT} SystemAPI Apps on each of {GROWN_ACCOUNTS:,} Organizations in the
Administrator's tree; P4's account keeps its {APPS} Apps) with
{GROWN_ACCOUNTS * GROWN_APPS_PER_ACCOUNT * GROWN_TOKENS_PER_APP:,} live and as many expired
access tokens ({GROWN_TOKENS_PER_APP} + {GROWN_TOKENS_PER_APP} per App, each minted with its
App's live secret, no refresh tokens), written by INSERT ... SELECT over a generated series
through the tokens' insert triggers, then settled again (bench/seed.py, `grow`: how long each step
took is under the table). The portal is then restarted (fresh workers) and B, P1, P3, P4 and P7
measured again; an S row's ratio is to the S phase's B, and its target is to be at most
{S_TOLERANCE * 100:.0f} % below the same row's small-data ratio (|S / small - 1| <= {S_TOLERANCE:g}, or
above it). C runs `purge_expired` in its own process (the server's settings) on the S data
while wrk runs P1, from the moment Django is set up in that process to its exit; P1's p99 then
is compared with its quiet p99 (S-P1's), and the expired tokens are counted before and after.
RSS is a separate gunicorn with one sync worker: {RSS_REQUESTS:,} requests of B, P1, P2, P3, P4 and P7 in turn
over {RSS_CONNECTIONS} connections, each answer matched to its shape by its status and body,
the worker's VmRSS read after about every tenth; VmRSS must stay within {RSS_LIMIT_MB} MB, and "no
growth" is read as at most {RSS_GROWTH_MB} MB more anonymous memory at the end than halfway (MB:
10^6 bytes): a leak grows the anonymous part, which also holds the worker's SQLite page cache
(bounded by the portal's PRAGMA cache_size, config/environment.py) and the requests' garbage
that only Python's cycle collector frees (kept short-lived: config/wsgi.py). RSS runs after C,
on the S data.

The ratios are not the same on every CPU. The same code (8950e94) on PostgreSQL measured P1
0.335, P4 0.131 and P7 0.409 in a full run on a 2-core AMD EPYC machine (B 5,457 req/s), and P1
0.291, P4 0.123 and P7 0.354 with BENCH_ONLY=B,P1,P4,P7 on a 2-core Intel Xeon one of the same
kind (B 4,026), rounds within a few percent on both; M read 0.70-0.76 on the first and 0.58-0.59
on the second. Compare figures within one section, and sections only when their Machine lines
agree.

Reproduce: `make bench` (SQLite) or `DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres
make bench` (PostgreSQL; the benchmark creates and drops its own database `{PG_BENCH_DB}`,
`BENCH_PG_DB=name` names another). `BENCH_DURATION=N` sets the seconds per run;
`BENCH_ONLY=P1,S` measures only those rows (B, S, C, RSS, ...) and leaves this file alone;
`BENCH_SCALE=0.01` shrinks the S data set and the RSS requests for a quick smoke run.
"""  # noqa: S608 - prose that names INSERT ... SELECT
