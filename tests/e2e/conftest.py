"""End-to-end tests: real OAuth client libraries and plain `requests` against the live server.

Everything goes over a real socket to pytest-django's `live_server` (http://localhost:<port>),
which the test settings let speak plain HTTP on /oauth/* because the caller is on loopback.
"""

from __future__ import annotations

import gc

import pytest
import requests

from tests.live_session import BrowserSession


@pytest.fixture(autouse=True)
def _oauthlib_allows_loopback_http(monkeypatch):
    """oauthlib (behind requests-oauthlib) refuses any http:// URL; the live server has no TLS."""
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")


@pytest.fixture(autouse=True)
def _client_sessions_do_not_linger(monkeypatch):
    """Close every `requests` session a test opens (the OAuth libraries' sessions are ones),
    and every connection its responses still hold.

    An open keep-alive socket keeps its live-server thread alive, and with CONN_MAX_AGE that
    thread keeps a PostgreSQL connection open, so the test database cannot be dropped at the
    end of the run. Closing the sessions is not enough on its own: a response that a library
    turned into an exception is not returned to the pool, and holds its socket until the
    exception's reference cycle is collected.
    """
    opened: list[requests.Session] = []
    original_init = requests.Session.__init__

    def tracking_init(self, *args, **kwargs) -> None:
        original_init(self, *args, **kwargs)
        opened.append(self)

    monkeypatch.setattr(requests.Session, "__init__", tracking_init)
    yield
    gc.collect()
    for session in opened:
        session.close()


@pytest.fixture
def live(live_server) -> str:
    """The live server's base URL, without a trailing slash."""
    return live_server.url.rstrip("/")


@pytest.fixture
def browser() -> BrowserSession:
    with BrowserSession() as session:
        yield session
