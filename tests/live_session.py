"""What the tests over a live server share: a browser-like `requests` session that keeps the
portal's cookies as a browser would, and the consent pages read and submitted as a person
would."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookiejar import DefaultCookiePolicy
from urllib.parse import urljoin, urlsplit

import requests

TIMEOUT = 10  # seconds, for every request to the live server
LOOPBACK = {"localhost", "127.0.0.1", "::1"}


# --- A browser-like HTTP session against the live server ------------------------------------


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
