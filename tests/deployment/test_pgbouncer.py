"""docs/deployment.md's PgBouncer, tried: the portal's processes reach PostgreSQL through
Debian's pgbouncer in transaction pooling mode (DATABASE_TRANSACTION_POOLING=true), and the
token endpoint, /uapi/@me and introspection answer through it, a disable effective at once,
and a signed-in page (whose session, account and App list queries are bound on the server
too: portal.speedups.prepared.Shaped) shows its Apps and signs out at once.

PgBouncer is started here on a free loopback port in front of the PostgreSQL the suite runs
on (127.0.0.1:5432 in `make test`), with two server connections for the portal's two
processes, so their transactions interleave on shared server connections. `make pgbouncer`
installs it; outside CI a machine without it skips this test, under CI=true it fails."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import environ
import pytest
import requests
from django.test import Client

from apps_registry.services import COMMAND_LINE, app_set_enabled
from tests.helpers import basic
from tests.served import (
    Gunicorn,
    free_port,
    loopback_tls,
    missing_runtime,
    served_portal_env,
    test_database_url,
)

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
PGBOUNCER = os.environ.get("PGBOUNCER", "/usr/sbin/pgbouncer")
TIMEOUT = 30


@pytest.fixture
def pgbouncer():
    """PgBouncer in transaction pooling mode before the suite's PostgreSQL; its address."""
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        pytest.skip("PgBouncer pools PostgreSQL: this runs in the PostgreSQL pass of make test")
    if not (os.access(PGBOUNCER, os.X_OK) or shutil.which("pgbouncer")):
        missing_runtime(f"{PGBOUNCER} is missing: `make pgbouncer` installs it")
    server = environ.Env.db_url_config(os.environ["DATABASE_URL"])
    port = free_port()
    # PgBouncer refuses to run as root; as `nobody` it reads its files from a directory
    # anyone may read.
    directory = Path(tempfile.mkdtemp(prefix="pgbouncer-"))
    directory.chmod(0o755)
    user = server.get("USER") or "postgres"
    (directory / "users.txt").write_text(f'"{user}" "{server.get("PASSWORD") or ""}"\n')
    (directory / "pgbouncer.ini").write_text(
        "[databases]\n"
        f"* = host={server.get('HOST') or '127.0.0.1'} port={server.get('PORT') or 5432}\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
        f"auth_type = {'plain' if server.get('PASSWORD') else 'trust'}\n"
        f"auth_file = {directory / 'users.txt'}\n"
        "pool_mode = transaction\ndefault_pool_size = 2\nmax_client_conn = 50\n"
    )
    for name in ("users.txt", "pgbouncer.ini"):
        (directory / name).chmod(0o644)
    command = [PGBOUNCER if os.access(PGBOUNCER, os.X_OK) else shutil.which("pgbouncer")]
    if os.geteuid() == 0:
        command += ["-u", "nobody"]
    process = subprocess.Popen(  # noqa: S603 (Debian's pgbouncer)
        [*command, str(directory / "pgbouncer.ini")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + TIMEOUT
        while not _listening(port):
            assert process.poll() is None, process.stdout.read()
            assert time.monotonic() < deadline, "pgbouncer did not start"
            time.sleep(0.05)
        yield f"127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(TIMEOUT)
        shutil.rmtree(directory, ignore_errors=True)


def _listening(port: int) -> bool:
    import socket

    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _served_through(pgbouncer: int, tmp_path: Path, *, pages: bool = False):
    """The portal under gunicorn (TLS on loopback) whose database is reached through PgBouncer,
    and a requests session that trusts its certificate; with `pages`, its static files
    collected, as a page's stylesheets and scripts need."""
    database = test_database_url().rsplit("/", 1)
    url = database[0].rsplit("@", 1)[0] + f"@{pgbouncer}/" + database[1]
    (tmp_path / "tls").mkdir()
    (tmp_path / "static").mkdir()
    tls = loopback_tls(tmp_path / "tls")
    env = {**served_portal_env(tmp_path / "static", DATABASE_TRANSACTION_POOLING="true"), "DATABASE_URL": url}
    if pages:
        collected = subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput"],
            cwd=Path(__file__).resolve().parents[2],
            env=env,
            capture_output=True,
            text=True,
        )
        assert collected.returncode == 0, collected.stderr
    server = Gunicorn(env, "--certfile", str(tls.certificate), "--keyfile", str(tls.key))
    session = requests.Session()
    session.verify, session.trust_env = str(tls.ca), False
    return server, session


def test_token_me_and_introspection_through_pgbouncer(pgbouncer, trusted_app, tmp_path):
    server, session = _served_through(pgbouncer, tmp_path)
    credentials = basic(trusted_app.client_id, trusted_app.client_secret)
    try:
        for _ in range(5):  # several requests per process, on whichever server connection
            issued = session.post(
                f"{server.url}/oauth/token.php",
                data={"grant_type": "client_credentials"},
                headers={"Authorization": credentials},
                timeout=TIMEOUT,
            )
            assert issued.status_code == 200, issued.text
            token = issued.json()["access_token"]
            me = session.get(
                f"{server.url}/uapi/@me", headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT
            )
            assert me.status_code == 200, me.text
            assert me.json()["app"]["client_id"] == trusted_app.client_id
            introspected = session.post(
                f"{server.url}/oauth/introspect",
                data={"token": token},
                headers={"Authorization": credentials},
                timeout=TIMEOUT,
            )
            assert introspected.status_code == 200, introspected.text
            assert introspected.json()["active"] is True

        # Disabled: refused at once, through the pool (nothing cached).
        app_set_enabled(actor=trusted_app.owner, app=trusted_app, enabled=False, origin=COMMAND_LINE)
        me = session.get(
            f"{server.url}/uapi/@me", headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT
        )
        assert me.status_code == 401 and me.json()["error"]["code"] == "app_disabled", me.text
        refused = session.post(
            f"{server.url}/oauth/token.php",
            data={"grant_type": "client_credentials"},
            headers={"Authorization": credentials},
            timeout=TIMEOUT,
        )
        assert refused.status_code == 401 and refused.json() == {"error": "invalid_client"}
    finally:
        server.stop()


def test_signed_in_app_list_through_pgbouncer(pgbouncer, trusted_app, tmp_path):
    owner = trusted_app.owner
    browser = Client()
    browser.force_login(owner)
    cookie = {"sessionid": browser.cookies["sessionid"].value}
    server, session = _served_through(pgbouncer, tmp_path, pages=True)
    page = f"{server.url}/accounts/{owner.pk}/apps/?api=unifiedapi"
    try:
        for _ in range(5):  # several pages per process, on whichever server connection
            shown = session.get(page, cookies=cookie, timeout=TIMEOUT, allow_redirects=False)
            assert shown.status_code == 200, "".join(server.log)[-2000:]
            assert f'id="app-{trusted_app.pk}"' in shown.text
            assert "1 App" in shown.text

        # Signed out elsewhere: the next page asks to sign in, through the pool (nothing cached).
        browser.logout()
        refused = session.get(page, cookies=cookie, timeout=TIMEOUT, allow_redirects=False)
        assert refused.status_code == 302 and "/login" in refused.headers["Location"], refused.headers
    finally:
        server.stop()
