"""What the tests share besides fixtures: the demo personas' reach, request builders for the
OAuth endpoints, readers of the portal's pages, and a browser-like session for the live server."""

from __future__ import annotations

import base64
import datetime
import hashlib
import ipaddress
import os
import re
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from html import unescape
from html.parser import HTMLParser
from http.cookiejar import DefaultCookiePolicy
from pathlib import Path
from urllib.parse import parse_qs, parse_qsl, urljoin, urlsplit

import requests
from django.contrib.messages import get_messages
from django.urls import reverse

from accounts.models import Account
from apps_registry.models import Api

DEMO_PERSONAS = ["admin", "provider", "organization", "user", "organization2", "user2"]

# design §2: each demo persona reaches itself and everything below it, nothing else.
REACH = {
    "admin": {"admin", "provider", "organization", "user", "organization2", "user2"},
    "provider": {"provider", "organization", "user"},
    "organization": {"organization", "user"},
    "user": {"user"},
    "organization2": {"organization2", "user2"},
    "user2": {"user2"},
}


PAIRS = [(actor, target) for actor in REACH for target in REACH]

TOKEN_URL = "/oauth/token.php"
REDIRECT = "https://app.example/callback"
TIMEOUT = 10  # seconds, for every request to the live server
LOOPBACK = {"localhost", "127.0.0.1", "::1"}
HTMX = {"HX-Request": "true"}


# --- OAuth requests -----------------------------------------------------------------------


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def cc_token(client, app) -> str:
    """A client_credentials access token for the trusted `app` (Django's test client)."""
    response = client.post(
        TOKEN_URL,
        {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=basic(app.client_id, app.client_secret),
    )
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


def query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query, keep_blank_values=True)


def query_pairs(url: str) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(url).query, keep_blank_values=True)


def get_code(client, app, user, **extra) -> str:
    """Sign `user` in and allow `app` on the consent page (or, when the user authorized the App
    before, take the code authorize.php answers at once); return the authorization code."""
    client.force_login(user)
    params = {"response_type": "code", "client_id": app.client_id, "redirect_uri": app.redirect_uri, **extra}
    page = client.get("/oauth/authorize.php", params)
    if page.status_code == 302 and "code" in query(page["Location"]):
        return query(page["Location"])["code"][0]
    assert page.status_code == 200, page.content
    response = client.post("/oauth/authorize.php", {"request": page.context["blob"], "action": "allow"})
    assert response.status_code == 302, response.content
    return query(response["Location"])["code"][0]


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


# --- Portal pages, as the test client sees them ----------------------------------------------


def text(response) -> str:
    return unescape(response.content.decode())


def plain(response) -> str:
    """The page's text without tags, whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", text(response)).split())


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def form_data(response) -> dict:
    """The values of the Add App form as the page rendered them (hidden credentials included)."""
    form = response.context["form"]
    return {
        "name": "Calendar Sync",
        "description": "Keeps calendars in step",
        "homepage": "https://calendar.example/",
        "image_uri": "https://calendar.example/logo.png",
        "email": "dev@calendar.example",
        "phone": "+1 555 0100",
        "trusted": "on",
        "redirect_uri": "https://calendar.example/oauth/callback",
        "credentials": form["credentials"].value(),
    }


def add_url(account, api=Api.SYSTEMAPI) -> str:
    return reverse("apps_registry:add", args=[account.pk]) + f"?api={api}"


def list_url(account, api=Api.SYSTEMAPI) -> str:
    return reverse("apps_registry:list", args=[account.pk]) + f"?api={api}"


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


# --- The portal served as in production: gunicorn processes, with TLS when asked --------------

# As docs/deployment.md runs it (section 3), with the configuration it ships (the access log,
# redacted, on stdout); `--workers` given among a Gunicorn's options overrides the 2.
GUNICORN = [
    sys.executable,
    "-m",
    "gunicorn",
    "--config",
    "python:config.gunicorn_conf",
    "config.wsgi",
    "--workers",
    "2",
]
PROJECT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Gunicorn:
    """One portal process: `gunicorn config.wsgi` on a free loopback port; `https` when given
    `--certfile` and `--keyfile` among `options`. `log` collects its output (the access log).
    `port` when the caller must know the address before it starts (to configure it)."""

    def __init__(
        self, env: dict[str, str], *options: str, timeout: float = 60, port: int | None = None
    ) -> None:
        address = f"127.0.0.1:{port or free_port()}"
        self.url = ("https://" if "--certfile" in options else "http://") + address
        self.timeout = timeout
        self.log: list[str] = []
        self.listening = threading.Event()
        self.process = subprocess.Popen(  # noqa: S603 (gunicorn from our own venv)
            [*GUNICORN, "--bind", address, *options],
            cwd=PROJECT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        threading.Thread(target=self._drain, daemon=True).start()
        assert self.listening.wait(timeout), "gunicorn did not start:\n" + "".join(self.log)

    def _drain(self) -> None:
        for line in self.process.stdout:
            self.log.append(line)
            if "Listening at" in line:
                self.listening.set()

    def wait_for_log(self, text: str) -> None:
        """Wait until a line with `text` was logged (an access-log line comes after the answer)."""
        deadline = time.monotonic() + self.timeout
        while not any(text in line for line in self.log):
            assert time.monotonic() < deadline, f"{text!r} never logged:\n" + "".join(self.log)
            time.sleep(0.05)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(self.timeout)


def test_database_url() -> str:
    """The URL of the database pytest-django made for this run, for another process."""
    from django.db import connections

    name = connections["default"].settings_dict["NAME"]
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        return url.rsplit("/", 1)[0] + "/" + name
    return f"sqlite:///{name}"


test_database_url.__test__ = False  # a helper, not a test


def served_portal_env(static_root: Path, **settings: str) -> dict[str, str]:
    """The environment of a portal process served as in production (DEBUG off, the real
    middleware, nothing trusted from X-Forwarded-*) on the test database, with the test
    process's keys (the tests write the Apps; the portal must decrypt their secrets) and
    `settings` on top."""
    from django.conf import settings as django_settings

    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DEBUG", "OAUTH_", "TRUST_", "SECURE_", "AXES_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="false",
        SECRET_KEY=django_settings.SECRET_KEY,
        APP_SECRET_KEYS=",".join(django_settings.APP_SECRET_KEYS),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=test_database_url(),
        STATIC_ROOT=str(static_root),
        TRUST_X_FORWARDED_PROTO="false",
        TRUST_X_FORWARDED_FOR="false",
        PYTHONUNBUFFERED="1",  # the access log reaches Gunicorn.log as each request ends
        **settings,
    )
    return env


@dataclass
class TLSFiles:
    ca: Path  # the certificate authority a client is told to trust
    certificate: Path  # the server's certificate, issued by it for 127.0.0.1 and localhost
    key: Path  # the server's private key


def loopback_tls(directory: Path) -> TLSFiles:
    """A throwaway certificate authority and a server certificate it issued for 127.0.0.1 and
    localhost, written as PEM files: what a client verifies the portal against in the tests."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.UTC)
    ca_key, server_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Portal tests CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    server = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    files = TLSFiles(
        ca=directory / "ca.pem", certificate=directory / "server.pem", key=directory / "server.key"
    )
    files.ca.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    files.certificate.write_bytes(server.public_bytes(serialization.Encoding.PEM))
    files.key.write_bytes(
        server_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return files


# --- Chromium pages (Playwright) ---------------------------------------------------------------

SCREENSHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"


def screenshot(page, name: str, full_page: bool = False) -> None:
    if os.environ.get("SCREENSHOTS"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / name), animations="disabled", full_page=full_page)


def sign_in(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("demo")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/accounts/*/")


# --- Accounts: the portal's Add child account form and the Django admin's forms ----------------

PASSWORD = "Correct-horse-battery-9"


def child_form(kind: str, username: str = "newchild", **overrides) -> dict[str, str]:
    data = {
        "kind": kind,
        "username": username,
        "name": "New Child Ltd",
        "email": "owner@newchild.example",
        "phone": "+1 555 0100",
        "password": PASSWORD,
        "password_again": PASSWORD,
    }
    data.update(overrides)
    return data


CHANGELIST = "admin:accounts_account_changelist"
ADD = "admin:accounts_account_add"
CHANGE = "admin:accounts_account_change"


def admin_add_form(parent: Account, kind: str, **overrides) -> dict[str, str]:
    data = {
        "parent": str(parent.pk),
        "kind": kind,
        "username": "adminadded",
        "password": PASSWORD,
        "name": "Added In Admin",
        "email": "added@admin.example",
        "phone": "",
    }
    data.update(overrides)
    return data


def secrets_inline(app, remove: int | None = None) -> dict:
    """The change form's secrets inline as the admin page sends it (Remove ticked on `remove`)."""
    secrets = list(app.secrets.live().order_by("created", "pk"))
    data = {
        "secrets-TOTAL_FORMS": str(len(secrets)),
        "secrets-INITIAL_FORMS": str(len(secrets)),
        "secrets-MIN_NUM_FORMS": "0",
        "secrets-MAX_NUM_FORMS": "0",
    }
    for n, secret in enumerate(secrets):
        data[f"secrets-{n}-id"] = str(secret.pk)
        data[f"secrets-{n}-app"] = str(app.pk)
        if secret.pk == remove:
            data[f"secrets-{n}-DELETE"] = "on"
    return data
