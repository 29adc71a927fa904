"""Signing in with an external OpenID Connect provider, end to end: the portal on the live
server, a real provider (oidc-provider-mock) on loopback, a browser-like `requests` session
following every redirect between them.

An account owner links an identity from their own account page; signed out, they sign in
with it on the register.php consent page and register an App without typing a password. An
identity linked to nobody is refused; a cancelled sign-in, a tampered state or a replayed
callback come back with a message; nothing is created on any of those paths.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import pytest
from allauth.socialaccount.models import SocialAccount

from accounts.models import Account
from apps_registry.models import App
from tests import external_idp
from tests.helpers import REDIRECT
from tests.live_session import TIMEOUT, BrowserSession, consent_form, submit

# The provider's fixtures, shared with the browser test.
_idp_server, idp = external_idp._idp_server, external_idp.idp

pytestmark = pytest.mark.django_db(transaction=True)


@dataclass
class HtmlForm:
    id: str
    action: str
    fields: dict[str, str] = field(default_factory=dict)


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[HtmlForm] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        attributes = {key: value or "" for key, value in attrs}
        if tag == "form":
            self.forms.append(HtmlForm(id=attributes.get("id", ""), action=attributes.get("action", "")))
        elif tag == "input" and self.forms and attributes.get("type") == "hidden":
            self.forms[-1].fields[attributes.get("name", "")] = attributes.get("value", "")

    def handle_data(self, data) -> None:
        self.text.append(data)


def parse(response) -> _Forms:
    parser = _Forms()
    parser.feed(response.text)
    return parser


def page_text(response) -> str:
    return " ".join(" ".join(parse(response).text).split())


def form_by_id(response, form_id: str) -> HtmlForm:
    forms = [form for form in parse(response).forms if form.id == form_id]
    assert len(forms) == 1, (form_id, response.text[:3000])
    form = forms[0]
    form.action = urljoin(response.url, form.action)
    return form


def password_login(session: BrowserSession, live: str, username: str) -> None:
    page = session.get(f"{live}/accounts/login/", timeout=TIMEOUT)
    token = next(form for form in parse(page).forms if form.fields.get("csrfmiddlewaretoken"))
    answer = session.post(
        f"{live}/accounts/login/",
        data={**token.fields, "username": username, "password": "demo"},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    assert answer.status_code == 302, answer.text[:2000]


def start_external(session: BrowserSession, page, form_id: str):
    """Press a "Sign in with" / "Link" button: POST its form; the portal redirects to the IdP."""
    form = form_by_id(page, form_id)
    answer = session.post(form.action, data=form.fields, allow_redirects=False, timeout=TIMEOUT)
    assert answer.status_code == 302, (answer.status_code, answer.text[:2000])
    return answer.headers["Location"]


def at_idp(session: BrowserSession, authorize_url: str, *, sub: str | None = None, deny: bool = False) -> str:
    """On the IdP's page: authorize as `sub`, or deny. Returns the portal callback URL."""
    assert session.get(authorize_url, timeout=TIMEOUT).status_code == 200
    data = {"action": "deny"} if deny else {"sub": sub}
    answer = session.post(authorize_url, data=data, allow_redirects=False, timeout=TIMEOUT)
    assert answer.status_code == 302, (answer.status_code, answer.text[:2000])
    return answer.headers["Location"]


def follow(session: BrowserSession, url: str):
    return session.get(url, allow_redirects=True, timeout=TIMEOUT)


def link_identity(session: BrowserSession, live: str, idp, account: Account, sub: str):
    page = session.get(f"{live}/accounts/{account.pk}/", timeout=TIMEOUT)
    authorize_url = start_external(session, page, f"external-connect-{idp.provider_id}")
    return follow(session, at_idp(session, authorize_url, sub=sub))


def sign_out(session: BrowserSession, live: str) -> None:
    page = session.get(f"{live}/accounts/me/", timeout=TIMEOUT)
    token = next(form for form in parse(page).forms if form.action.endswith("/accounts/logout/"))
    session.post(f"{live}/accounts/logout/", data=token.fields, allow_redirects=False, timeout=TIMEOUT)
    assert session.get(f"{live}/accounts/me/", allow_redirects=False, timeout=TIMEOUT).status_code == 302


def register_url(live: str, state: str = "s-1") -> str:
    params = {
        "name": "IdP App",
        "homepage": "https://idp-app.example/",
        "email": "dev@idp-app.example",
        "redirect_uri": REDIRECT,
        "state": state,
    }
    return f"{live}/oauth/register.php?{urlencode(params)}"


def test_linked_identity_signs_in_on_register_php_and_registers_an_app(browser, live, demo, idp):
    organization = demo["organization"]
    password_login(browser, live, "organization")
    linked = link_identity(browser, live, idp, organization, sub="org-owner@idp")
    assert linked.url == f"{live}/accounts/{organization.pk}/"
    assert f"{idp.name} org-owner@idp" in page_text(linked)
    assert SocialAccount.objects.get(provider=idp.provider_id).user == organization

    sign_out(browser, live)
    consent = browser.get(register_url(live), timeout=TIMEOUT)
    assert f"Sign in with {idp.name}" in consent.text
    authorize_url = start_external(browser, consent, f"external-login-{idp.provider_id}")
    assert authorize_url.startswith(f"{idp.url}/oauth2/authorize?")
    sent = parse_qs(urlsplit(authorize_url).query)
    assert sent["nonce"][0] and sent["state"][0]

    back = follow(browser, at_idp(browser, authorize_url, sub="org-owner@idp"))
    # The same consent page, signed in, with the same request.
    assert urlsplit(back.url).path == "/oauth/register/resume/"
    assert '<strong id="consent-account">organization</strong>' in back.text
    answer = submit(browser, consent_form(back), "register", grant_access="on")

    assert answer.status_code == 302, answer.text[:2000]
    received = parse_qs(urlsplit(answer.headers["Location"]).query)
    assert received["state"] == ["s-1"]
    app = App.objects.get(client_id=received["client_id"][0])
    assert app.owner == organization
    assert app.client_secret == received["client_secret"][0]
    assert received["code"][0]


def test_linked_identity_signs_in_on_the_login_page(browser, live, demo, idp):
    password_login(browser, live, "user")
    link_identity(browser, live, idp, demo["user"], sub="user@idp")
    sign_out(browser, live)

    page = browser.get(f"{live}/accounts/login/?next=/accounts/{demo['user'].pk}/", timeout=TIMEOUT)
    authorize_url = start_external(browser, page, f"external-login-{idp.provider_id}")
    landed = follow(browser, at_idp(browser, authorize_url, sub="user@idp"))
    assert landed.url == f"{live}/accounts/{demo['user'].pk}/"
    assert "Signed in as" in landed.text and "<strong>user</strong>" in landed.text


def test_unlinked_identity_is_refused_on_the_consent_page_and_nothing_is_created(browser, live, demo, idp):
    accounts = Account.objects.count()
    consent = browser.get(register_url(live), timeout=TIMEOUT)
    authorize_url = start_external(browser, consent, f"external-login-{idp.provider_id}")
    back = follow(browser, at_idp(browser, authorize_url, sub="stranger@idp"))

    assert urlsplit(back.url).path == "/oauth/register/resume/"
    assert f"This {idp.name} identity is not linked to any portal account" in page_text(back)
    assert 'id="consent-account"' not in back.text
    assert browser.get(f"{live}/accounts/me/", allow_redirects=False, timeout=TIMEOUT).status_code == 302
    assert Account.objects.count() == accounts
    assert not SocialAccount.objects.exists()
    assert not App.objects.exists()


def test_identity_with_the_same_email_as_an_account_is_not_linked_by_it(browser, live, demo, idp):
    # The provider vouches for the account's very own address.
    email = demo["organization"].email
    claims = {"email": email, "email_verified": True, "preferred_username": "organization"}
    assert browser.put(f"{idp.url}/users/stranger-with-email", json=claims, timeout=TIMEOUT).ok
    page = browser.get(f"{live}/accounts/login/", timeout=TIMEOUT)
    authorize_url = start_external(browser, page, f"external-login-{idp.provider_id}")
    back = follow(browser, at_idp(browser, authorize_url, sub="stranger-with-email"))

    assert urlsplit(back.url).path == "/accounts/login/"
    assert "is not linked to any portal account" in page_text(back)
    assert not SocialAccount.objects.exists()


def test_cancelled_sign_in_returns_to_the_consent_page_with_a_message(browser, live, demo, idp):
    consent = browser.get(register_url(live), timeout=TIMEOUT)
    authorize_url = start_external(browser, consent, f"external-login-{idp.provider_id}")
    callback = at_idp(browser, authorize_url, deny=True)
    assert parse_qs(urlsplit(callback).query)["error"] == ["access_denied"]
    back = follow(browser, callback)

    assert urlsplit(back.url).path == "/oauth/register/resume/"
    assert f"Signing in with {idp.name} was cancelled." in page_text(back)
    # The page still works: sign in with the password and register.
    answer = submit(browser, consent_form(back), "register", username="organization", password="demo")
    assert answer.status_code == 302
    assert App.objects.get().owner == demo["organization"]


def test_cancel_answered_with_its_state_returns_to_the_consent_page(browser, live, demo, idp):
    # The mock's Deny drops the state; RFC 6749 4.1.2.1 providers send it back: both return.
    consent = browser.get(register_url(live), timeout=TIMEOUT)
    authorize_url = start_external(browser, consent, f"external-login-{idp.provider_id}")
    state = parse_qs(urlsplit(authorize_url).query)["state"][0]
    query = urlencode({"error": "access_denied", "state": state})
    back = follow(browser, f"{live}{idp.callback_path}?{query}")

    assert urlsplit(back.url).path == "/oauth/register/resume/"
    assert f"Signing in with {idp.name} was cancelled." in page_text(back)
    assert not App.objects.exists()


def test_id_token_with_another_nonce_is_refused(browser, live, demo, idp):
    password_login(browser, live, "organization")
    link_identity(browser, live, idp, demo["organization"], sub="org@idp")
    sign_out(browser, live)

    consent = browser.get(register_url(live), timeout=TIMEOUT)
    authorize_url = start_external(browser, consent, f"external-login-{idp.provider_id}")
    parts = urlsplit(authorize_url)
    query = parse_qs(parts.query)
    query["nonce"] = ["a-nonce-this-browser-never-got"]
    callback = at_idp(browser, parts._replace(query=urlencode(query, doseq=True)).geturl(), sub="org@idp")
    back = follow(browser, callback)

    assert urlsplit(back.url).path == "/oauth/register/resume/"
    assert "did not match the request" in page_text(back)
    assert 'id="consent-account"' not in back.text


def test_tampered_state_is_refused(browser, live, demo, idp):
    password_login(browser, live, "organization")
    link_identity(browser, live, idp, demo["organization"], sub="org@idp")
    sign_out(browser, live)

    consent = browser.get(register_url(live), timeout=TIMEOUT)
    authorize_url = start_external(browser, consent, f"external-login-{idp.provider_id}")
    callback = at_idp(browser, authorize_url, sub="org@idp")
    parts = urlsplit(callback)
    query = parse_qs(parts.query)
    query["state"] = ["forged" + query["state"][0]]
    back = follow(browser, parts._replace(query=urlencode(query, doseq=True)).geturl())

    assert urlsplit(back.url).path == "/accounts/login/"
    assert f"Signing in with {idp.name} failed" in page_text(back)
    assert browser.get(f"{live}/accounts/me/", allow_redirects=False, timeout=TIMEOUT).status_code == 302


def test_callback_replayed_or_from_another_browser_is_refused(browser, live, demo, idp):
    password_login(browser, live, "organization")
    link_identity(browser, live, idp, demo["organization"], sub="org@idp")
    sign_out(browser, live)

    consent = browser.get(register_url(live), timeout=TIMEOUT)
    authorize_url = start_external(browser, consent, f"external-login-{idp.provider_id}")
    callback = at_idp(browser, authorize_url, sub="org@idp")
    # A victim's browser opening an attacker's callback: no state in its session.
    with BrowserSession() as victim:
        landed = follow(victim, callback)
        assert urlsplit(landed.url).path == "/accounts/login/"
        assert victim.get(f"{live}/accounts/me/", allow_redirects=False, timeout=TIMEOUT).status_code == 302
    # The state was this browser's and is still unused: it signs in once, and only once.
    assert '<strong id="consent-account">organization</strong>' in follow(browser, callback).text
    sign_out(browser, live)
    replayed = follow(browser, callback)
    assert urlsplit(replayed.url).path == "/accounts/login/"
    assert "failed" in page_text(replayed)


def test_identity_linked_to_another_account_is_not_linked_again(browser, live, demo, idp):
    password_login(browser, live, "organization")
    link_identity(browser, live, idp, demo["organization"], sub="shared@idp")
    sign_out(browser, live)

    password_login(browser, live, "user")
    page = link_identity(browser, live, idp, demo["user"], sub="shared@idp")
    assert "is linked to another portal account; it was not linked to this one" in page_text(page)
    assert list(SocialAccount.objects.values_list("user__username", flat=True)) == ["organization"]


def test_linking_requires_being_signed_in(browser, live, demo, idp):
    # A connect started without a session (the form posted from elsewhere) links nothing.
    page = browser.get(f"{live}/accounts/login/", timeout=TIMEOUT)
    form = form_by_id(page, f"external-login-{idp.provider_id}")
    data = {**form.fields, "process": "connect"}
    answer = browser.post(form.action, data=data, allow_redirects=False, timeout=TIMEOUT)
    back = follow(browser, at_idp(browser, answer.headers["Location"], sub="nobody@idp"))

    assert urlsplit(back.url).path == "/accounts/login/"
    assert "Sign in with your password first" in page_text(back)
    assert not SocialAccount.objects.exists()


def test_unlinked_identity_no_longer_signs_in(browser, live, demo, idp):
    organization = demo["organization"]
    password_login(browser, live, "organization")
    link_identity(browser, live, idp, organization, sub="org@idp")
    identity = SocialAccount.objects.get()
    unlink = f"{live}/accounts/{organization.pk}/identities/{identity.pk}/unlink/"
    confirm = browser.get(unlink, timeout=TIMEOUT)
    form = next(form for form in parse(confirm).forms if form.fields.get("confirmed") == "yes")
    done = browser.post(urljoin(confirm.url, form.action), data=form.fields, timeout=TIMEOUT)
    assert f"The {idp.name} identity was unlinked" in page_text(done)
    assert not SocialAccount.objects.exists()
    sign_out(browser, live)

    page = browser.get(f"{live}/accounts/login/", timeout=TIMEOUT)
    authorize_url = start_external(browser, page, f"external-login-{idp.provider_id}")
    back = follow(browser, at_idp(browser, authorize_url, sub="org@idp"))
    assert "is not linked to any portal account" in page_text(back)


def test_linked_identity_signs_in_on_authorize_php_and_the_app_gets_a_code(browser, live, demo, web_app, idp):
    password_login(browser, live, "user")
    link_identity(browser, live, idp, demo["user"], sub="user@idp")
    sign_out(browser, live)

    params = {
        "response_type": "code",
        "client_id": web_app.client_id,
        "redirect_uri": web_app.redirect_uri,
        "state": "az-1",
    }
    consent = browser.get(f"{live}/oauth/authorize.php?{urlencode(params)}", timeout=TIMEOUT)
    authorize_url = start_external(browser, consent, f"external-login-{idp.provider_id}")
    back = follow(browser, at_idp(browser, authorize_url, sub="user@idp"))

    assert urlsplit(back.url).path == "/oauth/authorize/resume/"
    assert '<strong id="consent-account">user</strong>' in back.text
    answer = submit(browser, consent_form(back), "allow")
    assert answer.status_code == 302
    received = parse_qs(urlsplit(answer.headers["Location"]).query)
    assert received["state"] == ["az-1"]
    token = browser.post(
        f"{live}/oauth/token.php",
        data={"grant_type": "authorization_code", "code": received["code"][0], "redirect_uri": REDIRECT},
        auth=(web_app.client_id, web_app.client_secret),
        timeout=TIMEOUT,
    )
    assert token.status_code == 200, token.text
    bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
    assert browser.get(f"{live}/uapi/@me", headers=bearer, timeout=TIMEOUT).json()["username"] == "user"


def test_identity_of_a_disabled_account_is_refused(browser, live, demo, idp):
    password_login(browser, live, "user")
    link_identity(browser, live, idp, demo["user"], sub="user@idp")
    sign_out(browser, live)
    Account.objects.filter(pk=demo["user"].pk).update(is_active=False)

    page = browser.get(f"{live}/accounts/login/", timeout=TIMEOUT)
    authorize_url = start_external(browser, page, f"external-login-{idp.provider_id}")
    back = follow(browser, at_idp(browser, authorize_url, sub="user@idp"))
    assert urlsplit(back.url).path == "/accounts/login/"
    assert f"The account linked to this {idp.name} identity is disabled." in page_text(back)
    assert browser.get(f"{live}/accounts/me/", allow_redirects=False, timeout=TIMEOUT).status_code == 302
