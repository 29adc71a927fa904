"""End-to-end tests: real OAuth client libraries and plain `requests` against the live server.

Everything goes over a real socket to pytest-django's `live_server` (http://localhost:<port>),
which the test settings let speak plain HTTP on /oauth/* because the caller is on loopback.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookiejar import DefaultCookiePolicy
from urllib.parse import parse_qs, parse_qsl, urljoin, urlsplit

import pytest
import requests

from apps_registry.models import Api
from tests.factories import AppFactory

REDIRECT = "https://app.example/callback"
TIMEOUT = 10
LOOPBACK = {"localhost", "127.0.0.1", "::1"}


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
def web_app(demo):
    """An ordinary (untrusted) UnifiedAPI App of the demo Organization."""
    return AppFactory(owner=demo["organization"], api=Api.UNIFIEDAPI, name="Web App", redirect_uri=REDIRECT)


@pytest.fixture
def trusted_app(demo):
    """A trusted UnifiedAPI App of the demo Organization: it may use client_credentials."""
    return AppFactory(owner=demo["organization"], api=Api.UNIFIEDAPI, trusted=True, name="Trusted")


@pytest.fixture
def systemapi_app(demo):
    """A trusted SystemAPI App of the demo Organization: its tokens are no good on UnifiedAPI."""
    return AppFactory(owner=demo["organization"], api=Api.SYSTEMAPI, trusted=True, name="System")


# --- A browser-like HTTP session --------------------------------------------------------


class LoopbackIsSecure(DefaultCookiePolicy):
    """Send `Secure` cookies to loopback over plain HTTP, as browsers do.

    The portal's session and CSRF cookies are `Secure` (DEBUG is off in the test settings),
    and http.cookiejar returns a Secure cookie only over https://. Browsers, Chromium included,
    treat http://localhost as a secure context and do send them there; this policy does the
    same for loopback hosts only. No cookie is copied, rewritten or stripped of its flag.
    """

    def return_ok_secure(self, cookie, request) -> bool:
        if urlsplit(request.get_full_url()).hostname in LOOPBACK:
            return True
        return super().return_ok_secure(cookie, request)


class BrowserSession(requests.Session):
    """A `requests` session that keeps and sends the portal's cookies the way a browser would.

    `requests` builds each request's Cookie header from a fresh merged jar with the default
    policy, so the jar's policy alone is not enough: the header is built again from the
    session's own jar, under its policy.
    """

    def __init__(self) -> None:
        super().__init__()
        self.cookies.set_policy(LoopbackIsSecure())
        self.headers["User-Agent"] = "e2e-tests (requests)"

    def prepare_request(self, request: requests.Request) -> requests.PreparedRequest:
        prepared = super().prepare_request(request)
        prepared.headers.pop("Cookie", None)
        prepared.prepare_cookies(self.cookies)
        return prepared


@pytest.fixture
def browser() -> BrowserSession:
    with BrowserSession() as session:
        yield session


# --- Reading the consent pages ----------------------------------------------------------


@dataclass
class Form:
    action: str
    fields: dict[str, str] = field(default_factory=dict)
    buttons: list[tuple[str, str]] = field(default_factory=list)
    inputs: list[str] = field(default_factory=list)


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []

    def handle_starttag(self, tag, attrs) -> None:
        attributes = {key: value or "" for key, value in attrs}
        if tag == "form":
            self.forms.append(Form(action=attributes.get("action", "")))
        elif self.forms and tag in {"input", "button"}:
            form, name = self.forms[-1], attributes.get("name", "")
            kind = attributes.get("type", "submit" if tag == "button" else "text")
            if kind == "submit":
                form.buttons.append((name, attributes.get("value", "")))
            elif name:
                form.inputs.append(name)
                if kind == "hidden":
                    form.fields[name] = attributes.get("value", "")


def consent_form(response: requests.Response) -> Form:
    """The one POST form of a consent page, with its action made absolute."""
    assert response.status_code == 200, (response.status_code, response.text[:2000])
    parser = _FormParser()
    parser.feed(response.text)
    forms = [form for form in parser.forms if form.fields.get("request")]
    assert len(forms) == 1, response.text[:2000]
    form = forms[0]
    form.action = urljoin(response.url, form.action or response.url)
    return form


def submit(session: requests.Session, form: Form, action: str, **fields: str) -> requests.Response:
    """Press the button `action` of a consent form, with the hidden fields and `fields`."""
    assert ("action", action) in form.buttons, form.buttons
    data = {**form.fields, **fields, "action": action}
    return session.post(form.action, data=data, allow_redirects=False, timeout=TIMEOUT)


def query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query, keep_blank_values=True)


def query_pairs(url: str) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(url).query, keep_blank_values=True)


def authorize(
    session: requests.Session, url: str, username: str | None = "user", action: str = "allow"
) -> str:
    """Open an authorization URL as a browser would, sign in on the consent page, and press
    `action`; return the Location the portal redirects to."""
    page = session.get(url, allow_redirects=False, timeout=TIMEOUT)
    form = consent_form(page)
    credentials = {"username": username, "password": "demo"} if username and action == "allow" else {}
    answer = submit(session, form, action, **credentials)
    assert answer.status_code == 302, (answer.status_code, answer.text[:2000])
    return answer.headers["Location"]


def me(live: str, token: str, path: str = "/uapi/@me") -> requests.Response:
    return requests.get(f"{live}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT)
