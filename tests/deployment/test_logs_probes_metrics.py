"""docs/deployment.md, tried (see the package's docstring): the access log (gunicorn's and
the guide's nginx format) keeps no secret from a URL, the probes answer plain HTTP, the
metrics add up every worker's counts, the playground works with one sync worker."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time

import pytest
import requests

from tests.deployment.helpers import HOST, METRICS_TOKEN, ORIGIN, ROOT, TIMEOUT, Browser, portal_process
from tests.served import Gunicorn, free_port, nginx_executable

pytestmark = pytest.mark.slow


# --- The access log, the probes, the metrics, the playground on one worker ------------------

SECRETS_IN_URLS = {
    "/playground/callback/?client_id=k3y&client_secret=S3CRET-CB&code=C0DE-CB&state=st4te": (
        "/playground/callback/?[redacted]"
    ),
    "/uapi/@me?accessRequestToken=T0KEN-ME&keep=this": "/uapi/@me?accessRequestToken=[redacted]&keep=this",
    "/oauth/token.php?code=C0DE-Q&refresh_token=REFR3SH&access_token=ACC3SS&token=T0KEN-Q": (
        "/oauth/token.php?code=[redacted]&refresh_token=[redacted]&access_token=[redacted]&token=[redacted]"
    ),
}


def test_the_access_log_keeps_no_secret_from_a_url(servers):
    """docs/deployment.md's gunicorn configuration: the paths are logged, the secrets are not
    (in the request line or in the Referer)."""
    a, _b = servers
    browser = Browser()
    referer = f"{ORIGIN}/playground/callback/?client_secret=S3CRET-REF&code=C0DE-REF"
    for target in SECRETS_IN_URLS:
        requests.get(
            a.url + target,
            headers={"Host": HOST, "X-Forwarded-Proto": "https", "Referer": referer},
            allow_redirects=False,
            timeout=TIMEOUT,
        )
    browser.request(a, "GET", "/healthz?last=1")
    # Each worker writes its own lines: one may come after another worker's later request.
    for logged in [*SECRETS_IN_URLS.values(), "/healthz?last=1"]:
        a.wait_for_log(f'"GET {logged} HTTP/1.1"')
    log = "".join(a.log)
    assert f'"{ORIGIN}/playground/callback/?[redacted]"' in log
    for secret in ("S3CRET", "C0DE", "T0KEN", "REFR3SH", "ACC3SS"):
        assert secret not in log


def test_probes_answer_plain_http_and_metrics_want_the_token(servers):
    a, _b = servers
    for path, body in (("/healthz", "ok\n"), ("/readyz", "ready\n")):
        # Plain HTTP, as a probe speaks to the process: answered, not sent to https.
        response = requests.get(a.url + path, headers={"Host": HOST}, allow_redirects=False, timeout=TIMEOUT)
        assert (response.status_code, response.text) == (200, body)
    metrics = requests.get(f"{a.url}/metrics", headers={"Host": HOST}, timeout=TIMEOUT)
    assert metrics.status_code == 401
    assert "portal_token" not in metrics.text


def token_counts(server: Gunicorn) -> dict[tuple[str, str], float]:
    response = requests.get(
        f"{server.url}/metrics",
        headers={"Host": HOST, "Authorization": f"Bearer {METRICS_TOKEN}"},
        timeout=TIMEOUT,
    )
    assert response.status_code == 200
    found = re.findall(
        r'^portal_token_requests_total\{grant_type="([^"]+)",outcome="([^"]+)"\} (\S+)$', response.text, re.M
    )
    return {(grant, outcome): float(value) for grant, outcome, value in found}


def test_metrics_add_up_every_workers_counts(servers):
    """Two workers in each process: whichever answers the scrape, it reports the requests
    both served (prometheus_client's multiprocess mode, PROMETHEUS_MULTIPROC_DIR)."""
    a, b = servers
    before = token_counts(a).get(("client_credentials", "invalid_client"), 0)
    browser = Browser(address="203.0.113.80")
    for _ in range(8):
        refused = browser.request(
            a,
            "POST",
            "/oauth/token.php",
            grant_type="client_credentials",
            client_id="nobody",
            client_secret="x",
        )
        assert refused.status_code == 401
    for _ in range(4):
        assert token_counts(a).get(("client_credentials", "invalid_client"), 0) == before + 8
    # Each process counts its own requests (scrape each one, as the guide says).
    assert token_counts(b).get(("client_credentials", "invalid_client"), 0) == 0


def register_trusted_app(env: dict[str, str]) -> dict:
    done = subprocess.run(  # noqa: S603 (our own manage.py)
        [
            *[
                sys.executable,
                "manage.py",
                "register_app",
                "--account",
                "organization",
                "--api",
                "unifiedapi",
            ],
            *["--name", "One worker", "--homepage", "https://one.example/", "--email", "dev@one.example"],
            *["--redirect-uri", "https://one.example/cb", "--trusted"],
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout)


def test_the_playground_works_with_a_single_sync_worker(production_env, tmp_path_factory):
    """The playground used to call the portal over HTTP while holding the worker: with one
    sync worker every step waited for itself and failed. Served in-process, it just works."""
    app = register_trusted_app(production_env)
    server = portal_process(production_env, tmp_path_factory.mktemp("metrics"), "--workers", "1")
    try:
        browser = Browser(address="203.0.113.81")
        assert browser.sign_in(server, "organization", "demo").status_code == 302
        page = browser.request(
            server,
            "POST",
            "/playground/step/",
            step="client_credentials",
            client_id=app["client_id"],
            client_secret=app["client_secret"],
        )
        assert page.status_code == 200, page.text
        assert re.search(r'id="step-status">HTTP 200<', page.text)
        assert "&quot;access_token&quot;" in page.text
    finally:
        server.stop()


def test_the_nginx_log_format_keeps_no_secret_from_a_url(tmp_path):
    """deploy/nginx-portal-log.conf, included as docs/deployment.md says, in a real nginx
    (`make clients` installs it; a machine without it skips, CI fails)."""
    nginx = nginx_executable()
    port = free_port()
    (tmp_path / "logs").mkdir()
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/logs/error.log;\nevents {{}}\n"
        f"http {{\n  include {ROOT}/deploy/nginx-portal-log.conf;\n"
        f"  server {{\n    listen 127.0.0.1:{port};\n    access_log {tmp_path}/logs/access.log portal;\n"
        "    location / { return 204; }\n  }\n}\n"
    )
    nginx = ["nginx", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-g", "daemon off;"]
    process = subprocess.Popen(nginx, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # noqa: S603
    try:
        referer = f"{ORIGIN}/playground/callback/?client_secret=S3CRET-REF&code=C0DE-REF"
        deadline = time.monotonic() + TIMEOUT
        targets = [*SECRETS_IN_URLS, "/apps/?api=unifiedapi"]
        while True:
            try:
                for target in targets:
                    url = f"http://127.0.0.1:{port}{target}"
                    requests.get(url, headers={"Referer": referer}, timeout=TIMEOUT)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "nginx did not start"
                time.sleep(0.1)
    finally:
        process.terminate()
        process.wait(TIMEOUT)
    log = (tmp_path / "logs" / "access.log").read_text()
    assert '"GET /playground/callback/?[redacted] HTTP/1.1"' in log
    assert '"GET /uapi/@me?[redacted] HTTP/1.1"' in log
    assert '"GET /oauth/token.php?[redacted] HTTP/1.1"' in log
    assert '"GET /apps/?api=unifiedapi HTTP/1.1"' in log
    assert f'"{ORIGIN}/playground/callback/?[redacted]"' in log
    for secret in ("S3CRET", "C0DE", "T0KEN", "REFR3SH", "ACC3SS"):
        assert secret not in log
