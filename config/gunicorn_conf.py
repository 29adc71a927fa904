"""gunicorn's configuration for the portal (docs/deployment.md, section 3):

    gunicorn --config python:config.gunicorn_conf config.wsgi --bind 127.0.0.1:8001 --workers 3

- The access log goes to stdout, in gunicorn's usual format, with the secrets a URL can carry
  redacted (portal.logging): the playground callback's query (App secret, code) and the values
  of client_secret, code, accessRequestToken, access_token, refresh_token and token in any
  query string, in the request line, the query and the Referer; Authorization and Cookie
  headers, if a custom access_log_format names them, are never written.
- gunicorn believes `X-Forwarded-Proto` (and its other secure-scheme headers) from the
  addresses in TRUSTED_PROXIES only, as the portal does: none when it is empty. gunicorn's own
  default (127.0.0.1 and ::1, or FORWARDED_ALLOW_IPS) would let any client on the host, or
  any client when gunicorn listens on loopback behind a port forward, claim HTTPS before
  Django sees the request, and the token endpoint's "must be called over HTTPS" (403) would
  pass a plain-HTTP request (tests/oauth/test_tls_gunicorn.py).
- Prometheus metrics (docs/deployment.md, section 9): with PROMETHEUS_MULTIPROC_DIR set, the
  workers share their counters through files in that directory, emptied when gunicorn starts
  (counters from a previous run would otherwise be added to this one's).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from gunicorn.glogging import Logger, SafeAtoms

from config import environment
from portal.logging import REDACTED, redact_query, redact_targets

# Atoms (gunicorn's names, lower case for headers and environ) that are a bare query string,
# and those that carry credentials whole.
QUERY_ATOMS = frozenset({"q", "{query_string}e"})
CREDENTIAL_ATOMS = frozenset(
    {"{authorization}i", "{http_authorization}e", "{cookie}i", "{http_cookie}e", "{set-cookie}o"}
)


class RedactedAtoms(SafeAtoms):
    """gunicorn's access-log atoms, each redacted as it is read (only the format's atoms are)."""

    def __getitem__(self, key: str):
        value = super().__getitem__(key)
        if not isinstance(value, str) or value == "-":
            return value
        name = key.lower() if key.startswith("{") else key
        if name in CREDENTIAL_ATOMS:
            return REDACTED
        if name in QUERY_ATOMS:
            return redact_query(value)
        return redact_targets(value)


class RedactingLogger(Logger):
    """gunicorn's logger, whose access log never keeps a secret from a URL."""

    atoms_wrapper_class = RedactedAtoms


logger_class = RedactingLogger
accesslog = "-"
try:
    # The portal's trust list (config.environment checks each entry), never gunicorn's default.
    forwarded_allow_ips = ",".join(environment.trusted_proxies())
    # The URLs a worker would fail on, read before any starts: a mistake is one line naming
    # the variable, not a traceback per worker.
    environment.database(environment.database_url())
    environment.email(environment.email_url())
except environment.EnvironmentVariableError as error:
    sys.exit(str(error))


def on_starting(server) -> None:
    """Empty PROMETHEUS_MULTIPROC_DIR: the counters start from zero with the server."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        for stale in Path(directory).glob("*.db"):
            stale.unlink()


def child_exit(server, worker) -> None:
    """A worker's counters stay (they are totals); its live gauges, if any, go with it."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
