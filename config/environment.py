"""Reading the environment (see .env.example): what config/settings.py needs of it that takes
more than a line, each value checked where it is read, so a wrong one stops the portal at
start-up with a message naming the variable."""

from __future__ import annotations

import base64
import binascii
import hashlib
import ipaddress
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env")

# The database engines the portal runs on: its guards are triggers written for these two.
DATABASE_SCHEMES = {"postgres", "postgresql", "pgsql", "sqlite"}
DATABASE_EXAMPLE = "postgres://portal:password@127.0.0.1:5432/portal or sqlite:////srv/portal/db.sqlite3"
# smtps is TLS from the start, as smtp+ssl (RFC 8314); smtp+tls is STARTTLS.
EMAIL_SCHEMES = {"smtp", "smtp+tls", "smtp+ssl", "smtps", "consolemail", "dummymail"}
EMAIL_EXAMPLE = (
    "smtps://user:password@mail.example.com:465 (TLS from the start), "
    "smtp+tls://user:password@mail.example.com:587 (STARTTLS) or consolemail://"
)


class EnvironmentVariableError(ImproperlyConfigured):
    """A variable the portal cannot read: its message is one line that names the variable and
    shows what to write, never the value (a URL may hold a password). manage.py and gunicorn's
    configuration print that line alone and stop, with no traceback."""

    def __init__(self, name: str, problem: str, example: str) -> None:
        super().__init__(f"{name}: {problem}. Write e.g. {example}.")


def _scheme(url: str) -> str:
    return url.split("://", 1)[0].lower() if "://" in url else ""


def _parsed(variable: str, url: str, schemes, known: str, parse, example: str) -> tuple[str, dict]:
    """The scheme of `url` and django-environ's `parse` of it, or the one-line error naming
    `variable`: a scheme not among `schemes` ("the scheme 'x' is not <known>"), or what
    django-environ said (its words name no secret: a port that is no number, say)."""
    scheme = _scheme(url)
    if scheme not in schemes:
        problem = f"the scheme {scheme!r} is not {known}" if scheme else "not a URL"
        raise EnvironmentVariableError(variable, problem, example)
    try:
        return scheme, parse(url)
    except ValueError as error:
        raise EnvironmentVariableError(variable, str(error).rstrip("."), example) from None


def database_url() -> str:
    """DATABASE_URL; empty or unset, a SQLite file in the project."""
    return env.str("DATABASE_URL", default="") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"


def email_url() -> str:
    """EMAIL_URL (not kept as a setting: it may hold a password); unset, the console."""
    return env.str("EMAIL_URL", default="")


def app_secret_keys(*, debug: bool, secret_key: str) -> list[str]:
    """Fernet keys for App secrets: the first encrypts, every one decrypts (rotation)."""
    keys = env.list("APP_SECRET_KEYS", default=[])
    if not keys:
        if not debug:
            raise ImproperlyConfigured(
                "APP_SECRET_KEYS is required when DEBUG is off. Generate a key with: python -c "
                '"from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
            )
        # Development only: a key derived from SECRET_KEY, so a fresh checkout runs as is.
        digest = hashlib.sha256(b"app-secret-keys:" + secret_key.encode()).digest()
        return [base64.urlsafe_b64encode(digest).decode()]
    for position, key in enumerate(keys, start=1):
        try:
            valid = len(base64.urlsafe_b64decode(key.encode())) == 32
        except (binascii.Error, ValueError):
            valid = False
        if not valid:
            raise ImproperlyConfigured(
                f"APP_SECRET_KEYS entry {position} is not a Fernet key (32 url-safe base64 bytes)."
            )
    return keys


def database(url: str) -> dict:
    """DATABASES["default"] for DATABASE_URL, tuned for each engine."""
    _, config = _parsed(
        "DATABASE_URL",
        url,
        DATABASE_SCHEMES,
        "PostgreSQL's or SQLite's",
        environ.Env.db_url_config,
        DATABASE_EXAMPLE,
    )
    if not config.get("NAME"):
        raise EnvironmentVariableError("DATABASE_URL", "it names no database", DATABASE_EXAMPLE)
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # Django's backend, whose writers queue at a lock file rather than in SQLite's sleeping
        # busy handler (portal/speedups/sqlite3/base.py).
        config["ENGINE"] = "portal.speedups.sqlite3"
        config.setdefault("OPTIONS", {}).update(
            {
                # BEGIN IMMEDIATE takes the write lock up front, so concurrent writers queue
                # (up to `timeout` seconds) instead of failing with "database is locked".
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                # WAL lets readers run beside the writer. An 8 MiB page cache a connection and
                # no memory-mapped reads: whenever another connection has written (the other
                # worker's token, say), SQLite empties the cache and unmaps the file at the
                # next read (pager.c, pagerBeginReadTransaction), so a bigger cache bought
                # nothing between writes, and a mapping was faulted in page by page again.
                # With 64 MiB and a 256 MiB mapping (make bench, SQLite, alternated): P1 0.294
                # and 0.309 B -> 0.332 and 0.340; a worker's memory grew for 100,000 requests
                # to 215 MB, 90 MB now and flat; purging a million expired tokens 101 -> 75 s.
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                    "PRAGMA cache_size=-8192; PRAGMA mmap_size=0;"
                ),
            }
        )
    else:
        # Django's backend, whose timestamps psycopg's compiled loader reads rather than its
        # Python one (portal/speedups/postgresql/base.py).
        config["ENGINE"] = "portal.speedups.postgresql"
        # No health check ("SELECT 1") before a request's first query: it was a round trip on
        # every request, a fifth of a token request's (make bench, P1). What it bought: after
        # the server dropped a persistent connection (a restart), the request that finds it
        # broken fails (500), and Django closes it when that request ends; the next one
        # connects again. Behind PgBouncer a server restart never reaches the portal's
        # connections at all.
        config["CONN_HEALTH_CHECKS"] = False
        if env.bool("DATABASE_TRANSACTION_POOLING", default=False):
            # PgBouncer in transaction pooling mode (docs/deployment.md): a transaction may
            # run on any server connection, so nothing may rely on a session's state. Its
            # 1.18 (Debian 12) refuses the `options` startup parameter, and prepares no
            # statement across server connections: no prepared statements, and jit=off is
            # set on the database's role instead (ALTER ROLE ... SET jit = off).
            config.setdefault("OPTIONS", {})["prepare_threshold"] = None
            return _persistent(config)
        # No JIT compilation: the portal's queries are short, and a planner that misjudged a count
        # (an App with most of the tokens) spent 0.4 s compiling a query that ran in 0.2 ms
        # (make bench, P4). And a prepared statement's one generic plan, always: left to choose,
        # PostgreSQL planned the App list's live-token count afresh at every run (a custom plan
        # for its 50 Apps: 0.1 ms, the statement itself 0.015 ms). Only the prepared statements
        # below are concerned: lookups by key, and counts over an index whose best plan does not
        # depend on the values (portal/speedups/__init__.py says what that asks of a new one).
        # A URL that sets `options` itself keeps its own.
        config.setdefault("OPTIONS", {}).setdefault(
            "options", "-c jit=off -c plan_cache_mode=force_generic_plan"
        )
        # The hot paths' statements (portal.speedups.statements.planned_once_cursor) prepared
        # on the server from their first use on a connection, so PostgreSQL plans each once
        # per connection instead of on every request. Django's other queries bind client-side
        # and are never prepared, whatever this says.
        config["OPTIONS"].setdefault("prepare_threshold", 0)
    return _persistent(config)


def _persistent(config: dict) -> dict:
    # Persistent connections, on SQLite too: opening one runs the PRAGMAs above, and closing the
    # last one checkpoints the WAL, which cost a token request 20 ms on every request (make bench).
    config.setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    return config


def email(url: str) -> dict:
    """EMAIL_URL parsed by django-environ; unset, the console. smtps:// is TLS from the start
    (EMAIL_USE_SSL), as smtp+ssl://: django-environ took it for STARTTLS, which a server on
    port 465 never answers, so the notices failed only when sent."""
    url = url or "consolemail://"
    scheme, config = _parsed(
        "EMAIL_URL",
        url,
        EMAIL_SCHEMES,
        "one the portal sends mail with",
        environ.Env.email_url_config,
        EMAIL_EXAMPLE,
    )
    if scheme.startswith("smtp") and not config.get("EMAIL_HOST"):
        raise EnvironmentVariableError("EMAIL_URL", "it names no mail server", EMAIL_EXAMPLE)
    if scheme == "smtps":
        config.pop("EMAIL_USE_TLS", None)
        config["EMAIL_USE_SSL"] = True
    return config


def trusted_proxies() -> list[str]:
    """TRUSTED_PROXIES: addresses or CIDR networks; a typo stops the portal at start-up, not at
    the first request."""
    entries = env.list("TRUSTED_PROXIES", default=[])
    for entry in entries:
        try:
            ipaddress.ip_network(entry)
        except ValueError as error:
            raise EnvironmentVariableError(
                "TRUSTED_PROXIES",
                f"{entry!r} is not an IP address or network ({error})",
                "127.0.0.1 (nginx on this host) or 10.0.0.0/24",
            ) from None
    return entries


def external_providers() -> dict:
    """SOCIALACCOUNT_PROVIDERS from the environment: Google (GOOGLE_CLIENT_ID and
    GOOGLE_CLIENT_SECRET) and the OpenID Connect providers named in OIDC_PROVIDERS, each with
    OIDC_<ID>_NAME, OIDC_<ID>_SERVER_URL (issuer or discovery URL), OIDC_<ID>_CLIENT_ID and
    OIDC_<ID>_SECRET."""
    google: dict = {
        "provider_class": "accounts.external.GoogleProvider",
        "SCOPE": ["openid", "profile", "email"],
        "OAUTH_PKCE_ENABLED": True,
    }
    if env.str("GOOGLE_CLIENT_ID", default=""):
        google["APPS"] = [
            {
                "client_id": env.str("GOOGLE_CLIENT_ID"),
                "secret": env.str("GOOGLE_CLIENT_SECRET"),
                "key": "",
            }
        ]
    oidc_apps = []
    for provider_id in env.list("OIDC_PROVIDERS", default=[]):
        prefix = f"OIDC_{provider_id.upper().replace('-', '_')}_"
        missing = [name for name in ("SERVER_URL", "CLIENT_ID") if not env.str(prefix + name, default="")]
        # An id that names one of allauth's provider classes would be looked up as that class.
        reserved = provider_id.lower() in {"google", "openid_connect"}
        if missing or reserved or not provider_id.replace("-", "").replace("_", "").isalnum():
            raise ImproperlyConfigured(
                f"OIDC provider {provider_id!r}: an id of letters, digits, - and _ (not google or "
                f"openid_connect), and {prefix}SERVER_URL and {prefix}CLIENT_ID are required."
            )
        oidc_apps.append(
            {
                "provider_id": provider_id,
                "name": env.str(prefix + "NAME", default=provider_id),
                "client_id": env.str(prefix + "CLIENT_ID"),
                "secret": env.str(prefix + "SECRET", default=""),
                "settings": {"server_url": env.str(prefix + "SERVER_URL")},
            }
        )
    return {
        "google": google,
        "openid_connect": {"provider_class": "accounts.external.OpenIDConnectProvider", "APPS": oidc_apps},
    }
