"""The deployment tests' fixtures, one set for the package: a database of its own, the
production environment, and two gunicorn processes sharing it."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

import environ
import pytest
from cryptography.fernet import Fernet

from tests.deployment.helpers import HOST, METRICS_TOKEN, ROOT, portal_process


@pytest.fixture(scope="package")
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


@pytest.fixture(scope="package")
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


@pytest.fixture(scope="package")
def servers(production_env, tmp_path_factory):
    started = [portal_process(production_env, tmp_path_factory.mktemp("metrics")) for _ in range(2)]
    yield started
    for server in started:
        server.stop()
