"""docs/deployment.md, tried: two gunicorn processes with the production settings (DEBUG off,
behind a TLS-terminating proxy simulated by the headers it sets) share nothing but one database,
and one user's session alternates between them.

The database is a dedicated one this test creates and drops: a PostgreSQL database beside the
test database when DATABASE_URL names PostgreSQL, a SQLite file otherwise."""

from __future__ import annotations

import os
import re
import secrets
import socket
import subprocess
import sys
import threading
from http.cookies import SimpleCookie

import environ
import pytest
import requests
from cryptography.fernet import Fernet
from django.conf import settings

pytestmark = pytest.mark.slow

ROOT = settings.BASE_DIR
HOST = "portal.example"
ORIGIN = f"https://{HOST}"
TIMEOUT = 60
GUNICORN = [sys.executable, "-m", "gunicorn", "portal.wsgi", "--workers", "2", "--access-logfile", "-"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


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
        DJANGO_SETTINGS_MODULE="portal.settings",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        APP_SECRET_KEYS=Fernet.generate_key().decode(),
        ALLOWED_HOSTS=HOST,
        DATABASE_URL=database_url,
        STATIC_ROOT=str(tmp_path_factory.mktemp("static")),
        AXES_FAILURE_LIMIT="3",
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


class Gunicorn:
    """One portal process: `gunicorn portal.wsgi` on a free loopback port."""

    def __init__(self, env: dict[str, str]) -> None:
        self.url = f"http://127.0.0.1:{free_port()}"
        self.log: list[str] = []
        self.listening = threading.Event()
        self.process = subprocess.Popen(  # noqa: S603 (gunicorn from our own venv)
            [*GUNICORN, "--bind", self.url.removeprefix("http://")],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        threading.Thread(target=self._drain, daemon=True).start()
        assert self.listening.wait(TIMEOUT), "gunicorn did not start:\n" + "".join(self.log)

    def _drain(self) -> None:
        for line in self.process.stdout:
            self.log.append(line)
            if "Listening at" in line:
                self.listening.set()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(TIMEOUT)


@pytest.fixture(scope="module")
def servers(production_env):
    started = [Gunicorn(production_env), Gunicorn(production_env)]
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
