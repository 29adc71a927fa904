"""What `make bench` measures in its own process (bench/run.py) besides wrk's rates: the SQL
statements one request of each portal row runs, P5 (regenerate on the App with its 100k +
100k tokens), P6 (parallel Add App forms at the App limit) and C (`purge_expired` in its own
process while wrk runs P1)."""

from __future__ import annotations

import html
import re
import secrets
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from bench.config import LIMIT_MESSAGE, PARALLEL_CREATES, REPETITIONS, ROOT, TOKENS
from bench.load import Scenario, Server, drain, wrk_command, wrk_result

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
