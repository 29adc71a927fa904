"""docs/deployment.md, tried: two gunicorn processes with the production settings (DEBUG off,
behind a TLS-terminating proxy simulated by the headers it sets) and the shipped gunicorn
configuration (config/gunicorn_conf.py, tests.helpers.GUNICORN) share nothing but one database,
and one user's session alternates between them; their access log keeps no secret from a URL, the
probes answer plain HTTP, the metrics add up every worker's counts, and the playground works
with one sync worker.

The database is a dedicated one this test creates and drops: a PostgreSQL database beside the
test database when DATABASE_URL names PostgreSQL, a SQLite file otherwise."""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
from http.cookies import SimpleCookie
from pathlib import Path

import environ
import pytest
import requests
from cryptography.fernet import Fernet
from django.conf import settings

from tests.helpers import Gunicorn, free_port

pytestmark = pytest.mark.slow

ROOT = settings.BASE_DIR
HOST = "portal.example"
ORIGIN = f"https://{HOST}"
TIMEOUT = 60
METRICS_TOKEN = secrets.token_urlsafe(32)


@pytest.fixture(scope="module")
def database_url(tmp_path_factory):
    """A database of its own, on the same kind of server the suite runs on."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        yield f"sqlite:///{tmp_path_factory.mktemp('deployment') / 'portal.sqlite3'}"
        return
    import psycopg

    config = environ.Env.db_url_config(url)
    name = f"portal_deployment_{os.getpid()}"
    server = {
        "host": config.get("HOST") or "127.0.0.1",
        "port": config.get("PORT") or 5432,
        "user": config.get("USER") or "postgres",
        "password": config.get("PASSWORD") or None,
        "dbname": config.get("NAME") or "postgres",
        "autocommit": True,
    }
    with psycopg.connect(**server) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(**server) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def production_env(database_url, tmp_path_factory) -> dict[str, str]:
    """The environment of docs/deployment.md, with throwaway keys; the database migrated,
    the demo accounts seeded and the static files collected, as the guide does."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DEBUG", "OAUTH_", "TRUST", "SECURE_", "AXES_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        APP_SECRET_KEYS=Fernet.generate_key().decode(),
        ALLOWED_HOSTS=HOST,
        DATABASE_URL=database_url,
        STATIC_ROOT=str(tmp_path_factory.mktemp("static")),
        AXES_FAILURE_LIMIT="3",
        METRICS_TOKEN=METRICS_TOKEN,
        # The guide's nginx, on the same host: the only peer whose X-Forwarded-* count.
        TRUSTED_PROXIES="127.0.0.1",
    )
    for command in (
        ["migrate", "--noinput"],
        ["seed_demo", "--force", "--password", "demo"],
        ["collectstatic", "--noinput"],
    ):
        done = subprocess.run(  # noqa: S603 (our own manage.py)
            [sys.executable, "manage.py", *command], cwd=ROOT, env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, (command, done.stdout, done.stderr)
    return env


def portal_process(env: dict[str, str], metrics_dir: Path, *options: str) -> Gunicorn:
    """One gunicorn process as the guide's systemd unit runs it: its own PROMETHEUS_MULTIPROC_DIR."""
    return Gunicorn({**env, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}, *options, timeout=TIMEOUT)


@pytest.fixture(scope="module")
def servers(production_env, tmp_path_factory):
    started = [portal_process(production_env, tmp_path_factory.mktemp("metrics")) for _ in range(2)]
    yield started
    for server in started:
        server.stop()


class Browser:
    """One user's browser behind the TLS-terminating proxy: its cookies (Secure ones too, the
    proxy's connection being HTTPS) go to whichever portal process the proxy picks."""

    def __init__(self, address: str = "203.0.113.9") -> None:
        self.address = address
        self.cookies: dict[str, str] = {}
        self.set_cookies: list[str] = []

    def request(self, server: Gunicorn, method: str, path: str, https: bool = True, **fields):
        headers = {"Host": HOST, "X-Forwarded-For": self.address}
        if https:
            headers["X-Forwarded-Proto"] = "https"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        if method == "POST":
            headers.update(Origin=ORIGIN, Referer=f"{ORIGIN}{path}")
            fields.setdefault("csrfmiddlewaretoken", self.cookies.get("csrftoken", ""))
        response = requests.request(
            method,
            server.url + path,
            data=fields or None,
            headers=headers,
            allow_redirects=False,
            timeout=TIMEOUT,
        )
        for header in response.raw.headers.getlist("Set-Cookie"):
            self.set_cookies.append(header)
            for name, morsel in SimpleCookie(header).items():
                if morsel.value and morsel["max-age"] != "0":
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)
        return response

    def sign_in(self, server: Gunicorn, username: str, password: str):
        self.request(server, "GET", "/accounts/login/")
        return self.request(server, "POST", "/accounts/login/", username=username, password=password)


def test_one_session_alternates_between_two_processes(servers):
    a, b = servers
    browser = Browser()
    signed_in = browser.sign_in(a, "organization", "demo")
    assert signed_in.status_code == 302, signed_in.text
    session_cookie = next(header for header in browser.set_cookies if header.startswith("sessionid="))
    assert "Secure" in session_cookie
    assert "HttpOnly" in session_cookie

    # The session made on A is good on B.
    home = browser.request(b, "GET", "/accounts/me/")
    assert home.status_code == 302
    account_url = home.headers["Location"]
    page = browser.request(b, "GET", account_url)
    assert page.status_code == 200
    assert "Signed in as <strong>organization</strong>" in page.text

    # A write on B (Add App, with the key and secret signed into the form) is seen on A.
    add = f"{account_url}apps/add/?api=systemapi"
    form = browser.request(b, "GET", add)
    credentials = re.search(r'name="credentials" value="([^"]+)"', form.text).group(1)
    added = browser.request(
        b,
        "POST",
        add,
        name="Deployed App",
        homepage="https://deployed.example/",
        email="dev@deployed.example",
        redirect_uri="https://deployed.example/cb",
        credentials=credentials,
    )
    assert added.status_code == 302, added.text
    listing = browser.request(a, "GET", f"{account_url}apps/?api=systemapi")
    assert "Deployed App" in listing.text
    # The message queued on B is shown once, on A (messages live in the session).
    assert "was added" in listing.text

    # Signing out on A ends the session on B too.
    signed_out = browser.request(a, "POST", "/accounts/logout/")
    assert signed_out.status_code == 302
    after = browser.request(b, "GET", account_url)
    assert after.status_code == 302
    assert after.headers["Location"].startswith("/accounts/login/")


def test_failed_sign_ins_count_across_processes(servers):
    a, b = servers
    browser = Browser(address="203.0.113.66")
    answers = [browser.sign_in(server, "user", "wrong").status_code for server in (a, b, a)]
    assert answers == [200, 200, 429]
    locked = browser.sign_in(b, "user", "demo")
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.text
    # Another address is not locked out.
    assert Browser(address="203.0.113.67").sign_in(b, "user", "demo").status_code == 302


def test_production_headers_redirects_and_static_files(servers):
    a, _b = servers
    browser = Browser()
    # Plain HTTP (the proxy says so) is sent to HTTPS; the OAuth endpoints refuse it instead.
    plain = browser.request(a, "GET", "/accounts/login/", https=False)
    assert plain.status_code == 301
    assert plain.headers["Location"] == f"{ORIGIN}/accounts/login/"
    token = browser.request(a, "POST", "/oauth/token.php", https=False, grant_type="client_credentials")
    assert token.status_code == 403
    assert token.json()["error"] == "invalid_request"

    page = browser.request(a, "GET", "/accounts/login/")
    assert page.status_code == 200
    assert page.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert next(h for h in browser.set_cookies if h.startswith("csrftoken=")).count("Secure") == 1

    # Static files: hashed names from the manifest, served by WhiteNoise, cached for long.
    stylesheet = re.search(r'href="(/static/portal/portal\.[0-9a-f]+\.css)"', page.text).group(1)
    css = browser.request(a, "GET", stylesheet)
    assert css.status_code == 200
    assert "max-age=315360000" in css.headers["Cache-Control"]

    # A wrong Host is a 400 with the portal's page; an unknown page a 404 without details.
    wrong = requests.get(
        f"{a.url}/", headers={"Host": "evil.example", "X-Forwarded-Proto": "https"}, timeout=TIMEOUT
    )
    assert wrong.status_code == 400
    assert "Bad request (400)" in wrong.text
    missing = browser.request(a, "GET", "/no-such-page/")
    assert missing.status_code == 404
    assert "Page not found (404)" in missing.text
    assert "Traceback" not in missing.text


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
    a.wait_for_log("/healthz?last=1")
    log = "".join(a.log)
    for logged in SECRETS_IN_URLS.values():
        assert f'"GET {logged} HTTP/1.1"' in log
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
    nginx = shutil.which("nginx") or shutil.which("/usr/sbin/nginx")
    if nginx is None:
        reason = "nginx is not installed: `make clients` installs it (apt-get, as root or through sudo)"
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the nginx test: {reason}")
        pytest.skip(reason)
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
