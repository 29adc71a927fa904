"""The compatibility suite's portal: served as in production (gunicorn, DEBUG off, the real
middleware) with TLS on loopback, on the test database, so a client in another runtime talks to
it over HTTPS exactly as it would to a VoipNow server; and the clients' runtimes.

A runtime that is missing skips its tests with the reason and the command that installs it
(`make clients`, which `make test` runs first); under CI (CI=true) a missing runtime fails
instead, so the suite can never pass there by skipping.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.served import Gunicorn, loopback_tls, missing_runtime, served_portal_env

# What each runtime is, how to tell it is usable, and the Debian packages `make clients` installs.
RUNTIMES = {
    "php": (["php", "-r", 'exit(function_exists("curl_init") ? 0 : 1);'], "php-cli php-curl"),
    "node": (["node", "-e", "require('https')"], "nodejs"),
    "perl": (
        ["perl", "-MLWP::UserAgent", "-MLWP::Protocol::https", "-MJSON::PP", "-e1"],
        "libwww-perl liblwp-protocol-https-perl",
    ),
}


def runtime(name: str) -> str:
    """The runtime's executable; skip (fail under CI) when it is not installed."""
    command, packages = RUNTIMES[name]
    executable = shutil.which(command[0])
    usable = (
        executable is not None
        and subprocess.run(  # noqa: S603 (a fixed command)
            [executable, *command[1:]], capture_output=True, timeout=30
        ).returncode
        == 0
    )
    if usable:
        return executable
    reason = (
        f"{name} is not usable here: `make clients` installs {packages} (apt-get, as root or through sudo)"
    )
    missing_runtime(reason)


@dataclass
class Portal:
    url: str  # https://127.0.0.1:<port>
    ca: Path  # the CA file each client is told to trust
    log: list[str]  # gunicorn's output: its access log


@pytest.fixture(scope="session")
def portal(django_db_setup, django_db_blocker, tmp_path_factory) -> Portal:
    """The portal as deployment.md runs it, minus the proxy: gunicorn terminates TLS itself with
    a certificate from a throwaway CA, and nothing forwards X-Forwarded-* headers."""
    tls = loopback_tls(tmp_path_factory.mktemp("tls"))
    env = served_portal_env(tmp_path_factory.mktemp("static"))
    server = Gunicorn(env, "--certfile", str(tls.certificate), "--keyfile", str(tls.key))
    try:
        yield Portal(url=server.url, ca=tls.ca, log=server.log)
    finally:
        server.stop()


@pytest.fixture
def php() -> str:
    return runtime("php")


@pytest.fixture
def node() -> str:
    return runtime("node")


@pytest.fixture
def perl() -> str:
    return runtime("perl")


@pytest.fixture
def python() -> str:
    """The Python client runs in the suite's own interpreter, which has `requests`."""
    return sys.executable


CLIENTS = Path(__file__).resolve().parent / "clients"


@pytest.fixture
def run_client(portal):
    """Run a client script of tests/compat/clients/ against the portal with an App's key and
    secret, each client told to trust the portal's CA its own way; return the JSON it printed."""

    def run(executable: str, script: str, *args: str, key: str, secret: str, **env: str) -> dict:
        ca = str(portal.ca)
        environment = {
            **os.environ,
            "PORTAL_URL": portal.url,
            "APP_KEY": key,
            "APP_SECRET": secret,
            "CA_FILE": ca,  # PHP: CURLOPT_CAINFO
            "NODE_EXTRA_CA_CERTS": ca,
            "REQUESTS_CA_BUNDLE": ca,
            "PERL_LWP_SSL_CA_FILE": ca,
            "NO_PROXY": "127.0.0.1,localhost",
            **env,
        }
        done = subprocess.run(  # noqa: S603 (our own client scripts)
            [executable, str(CLIENTS / script), *args],
            cwd=CLIENTS,
            env=environment,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, (done.returncode, done.stdout, done.stderr)
        lines = done.stdout.strip().splitlines()
        assert lines, ("no output", done.stderr)
        return json.loads(lines[-1])

    return run
