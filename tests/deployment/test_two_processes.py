"""docs/deployment.md, tried (see the package's docstring): one user's session alternates
between two gunicorn processes, failed sign-ins count across them, the production headers,
redirects and static files."""

from __future__ import annotations

import re

import pytest
import requests

from tests.deployment.helpers import ORIGIN, TIMEOUT, Browser

pytestmark = pytest.mark.slow


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
