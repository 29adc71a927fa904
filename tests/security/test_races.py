"""Races over real HTTP (threads against pytest-django's live server, on SQLite and on
PostgreSQL): creates at the App limit, a form sent twice at once, and a secret regenerated
while token requests with the old one are in flight.

The service-level race at the limit is tests/apps_registry/test_concurrency.py; the form
sent twice one after the other is in tests/apps_registry/views/test_add_app.py and tests/oauth.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from html import unescape
from urllib.parse import urlencode

import pytest
import requests
from django.db import connection
from django.test import Client

from apps_registry import services
from apps_registry.models import AccessToken, Api, App, AuditEvent
from tests.factories import AppFactory
from tests.helpers import basic

# Threads against the live server: each thread has its own database connection.
live = pytest.mark.django_db(transaction=True)

THREADS = 12
TIMEOUT = 60
CSRF = "c" * 32  # an unmasked CSRF secret: the cookie and the form field carry the same one


def run_together(count: int, work) -> list:
    """Run work(n) in `count` threads released at once; every outcome (or exception)."""
    barrier = threading.Barrier(count)
    outcomes: list = [None] * count

    def run(n: int) -> None:
        try:
            barrier.wait(timeout=TIMEOUT)
            outcomes[n] = work(n)
        except Exception as error:
            outcomes[n] = f"{type(error).__name__}: {error}"
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=TIMEOUT * 2)
    return outcomes


def signed_in_headers(account) -> dict:
    """Cookies of a signed-in session (made by the test client) and a CSRF pair."""
    client = Client()
    client.force_login(account)
    return {"Cookie": f"sessionid={client.cookies['sessionid'].value}; csrftoken={CSRF}"}


def hidden_field(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html) or re.search(
        rf'value="([^"]*)"[^>]*name="{name}"', html
    )
    assert match, html[:3000]
    return unescape(match.group(1))


# --- the Add App form ------------------------------------------------------------------------


def add_form(live: str, owner, headers: dict) -> tuple[str, dict]:
    url = f"{live}/accounts/{owner.pk}/apps/add/?api={Api.SYSTEMAPI}"
    page = requests.get(url, headers=headers, timeout=TIMEOUT)
    assert page.status_code == 200, page.text[:2000]
    return url, {
        "csrfmiddlewaretoken": CSRF,
        "name": "Racer",
        "homepage": "https://race.example/",
        "email": "dev@race.example",
        "redirect_uri": "https://race.example/cb",
        "credentials": hidden_field(page.text, "credentials"),
    }


@pytest.mark.slow
@live
def test_add_app_forms_sent_at_once_at_the_limit_create_exactly_the_allowed_number(
    live_server, demo, settings
):
    settings.APP_LIMIT_PER_ACCOUNT = 5
    owner = demo["organization"]
    for _ in range(4):
        AppFactory(owner=owner)
    headers = signed_in_headers(owner)
    forms = [add_form(live_server.url, owner, headers) for _ in range(THREADS)]

    def post(n: int) -> int:
        url, data = forms[n]
        data = {**data, "name": f"Racer {n}"}
        return requests.post(
            url, data=data, headers=headers, allow_redirects=False, timeout=TIMEOUT
        ).status_code

    outcomes = run_together(THREADS, post)

    # 302: added; 200: the form again, with "already owns 5 Apps" beside it.
    assert Counter(outcomes) == {302: 1, 200: THREADS - 1}, outcomes
    assert App.objects.filter(owner=owner).count() == 5
    assert AuditEvent.objects.filter(account_id=owner.pk, action="create").count() == 1


@pytest.mark.slow
@live
def test_one_add_app_form_sent_several_times_at_once_creates_one_app(live_server, demo):
    owner = demo["organization"]
    headers = signed_in_headers(owner)
    url, data = add_form(live_server.url, owner, headers)

    def post(n: int) -> int:
        return requests.post(
            url, data=data, headers=headers, allow_redirects=False, timeout=TIMEOUT
        ).status_code

    outcomes = run_together(4, post)

    # One added; the others are sent to the App it made.
    assert sorted(outcomes) == [302, 302, 302, 302], outcomes
    assert App.objects.filter(owner=owner).count() == 1


# --- the register.php consent ------------------------------------------------------------------

REGISTRATION = {
    "name": "Racer",
    "homepage": "https://race.example/",
    "email": "dev@race.example",
    "redirect_uri": "https://race.example/cb",
    "api": "systemapi",
    "state": "s",
}


def consent_page(live: str, headers: dict) -> dict:
    page = requests.get(
        f"{live}/oauth/register.php?{urlencode(REGISTRATION)}", headers=headers, timeout=TIMEOUT
    )
    assert page.status_code == 200, page.text[:2000]
    return {"csrfmiddlewaretoken": CSRF, "request": hidden_field(page.text, "request"), "action": "register"}


def consent(live: str, data: dict, headers: dict) -> requests.Response:
    return requests.post(
        f"{live}/oauth/register/consent/", data=data, headers=headers, allow_redirects=False, timeout=TIMEOUT
    )


@pytest.mark.slow
@live
def test_register_php_consents_sent_at_once_at_the_limit_create_exactly_the_allowed_number(
    live_server, demo, settings
):
    settings.APP_LIMIT_PER_ACCOUNT = 5
    owner = demo["organization"]
    for _ in range(4):
        AppFactory(owner=owner)
    headers = signed_in_headers(owner)
    pages = [consent_page(live_server.url, headers) for _ in range(THREADS)]

    def register(n: int) -> str:
        response = consent(live_server.url, pages[n], headers)
        location = response.headers.get("Location", "")
        assert response.status_code == 302 and location.startswith("https://race.example/cb?"), response
        return "refused" if "error=access_denied" in location else "registered"

    outcomes = run_together(THREADS, register)

    assert Counter(outcomes) == {"registered": 1, "refused": THREADS - 1}, outcomes
    assert App.objects.filter(owner=owner).count() == 5


@pytest.mark.slow
@live
def test_one_consent_page_sent_several_times_at_once_registers_one_app(live_server, demo):
    owner = demo["organization"]
    headers = signed_in_headers(owner)
    page = consent_page(live_server.url, headers)

    outcomes = run_together(4, lambda n: consent(live_server.url, page, headers).status_code)

    # One registered (302 to the App); the others: "already submitted" (409).
    assert sorted(outcomes) == [302, 409, 409, 409], outcomes
    assert App.objects.filter(owner=owner).count() == 1


# --- regenerate while token requests with the old secret are in flight ------------------------


@pytest.mark.slow
@live
def test_no_token_minted_with_the_old_secret_outlives_regenerate(live_server, demo):
    """Token requests with the old secret run without pause while the secret is regenerated.
    Once regenerate has returned, none of the tokens they got may work, and the App holds
    no token at all (nobody has the new secret yet)."""
    app = AppFactory(owner=demo["organization"], api=Api.UNIFIEDAPI, trusted=True)
    old_secret = app.client_secret
    url = f"{live_server.url}/oauth/token.php"
    got_one = threading.Event()
    regenerated = threading.Event()
    tokens: list[str] = []
    statuses: Counter = Counter()
    lock = threading.Lock()

    def hammer(n: int) -> None:
        with requests.Session() as session:
            # Keep asking until regenerate has returned, then a few more times.
            after = 0
            while after < 3:
                if regenerated.is_set():
                    after += 1
                response = session.post(
                    url,
                    data={"grant_type": "client_credentials"},
                    auth=(app.client_id, old_secret),
                    timeout=TIMEOUT,
                )
                with lock:
                    statuses[response.status_code] += 1
                    if response.status_code == 200:
                        tokens.append(response.json()["access_token"])
                        got_one.set()

    workers = [threading.Thread(target=hammer, args=(n,)) for n in range(6)]
    for worker in workers:
        worker.start()
    try:
        assert got_one.wait(timeout=TIMEOUT)
        services.app_regenerate_secret(actor=app.owner, app=app, origin=services.COMMAND_LINE)
    finally:
        regenerated.set()
        for worker in workers:
            worker.join(timeout=TIMEOUT * 2)
        connection.close()

    assert set(statuses) <= {200, 401}, statuses
    assert statuses[401] >= 6  # every worker was refused after regenerate
    assert tokens
    assert not AccessToken.objects.filter(application=app).exists()
    with requests.Session() as session:
        for token in tokens:
            me = session.get(
                f"{live_server.url}/uapi/@me", headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT
            )
            assert me.status_code == 401, token


# The two interleavings the test above hits at random, made to happen every time.


@pytest.mark.django_db
def test_a_token_request_that_authenticated_before_regenerate_committed_gets_no_token(
    client, demo, monkeypatch
):
    """Authenticated with the old secret, then regenerate commits, then the token would be
    saved: refused, because the App's secret is checked again under the App's row lock."""
    from oauth.validator import Validator

    app = AppFactory(owner=demo["organization"], api=Api.UNIFIEDAPI, trusted=True)
    authenticate = Validator.authenticate_client

    def authenticate_then_regenerate(self, request, *args, **kwargs):
        result = authenticate(self, request, *args, **kwargs)
        services.app_regenerate_secret(
            actor=app.owner, app=App.objects.get(pk=app.pk), origin=services.COMMAND_LINE
        )
        return result

    monkeypatch.setattr(Validator, "authenticate_client", authenticate_then_regenerate)
    response = client.post(
        "/oauth/token.php",
        {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=basic(app.client_id, app.client_secret),
    )

    assert response.status_code == 401
    assert response.json() == {"error": "invalid_client"}
    assert not AccessToken.objects.filter(application=app).exists()


@pytest.mark.django_db
def test_a_token_deleted_by_regenerate_before_the_answer_is_dead_on_arrival(client, demo, monkeypatch):
    """The token was saved, then regenerate deleted it before the answer went out. The token
    view hands over the token the validator saved (no read back by checksum, which once ended
    in a 500 here), and that token no longer works: as if the regenerate came just after."""
    from oauth.validator import Validator

    app = AppFactory(owner=demo["organization"], api=Api.UNIFIEDAPI, trusted=True)
    save = Validator.save_bearer_token

    def save_then_regenerate(self, token, request, *args, **kwargs):
        result = save(self, token, request, *args, **kwargs)
        services.app_regenerate_secret(
            actor=app.owner, app=App.objects.get(pk=app.pk), origin=services.COMMAND_LINE
        )
        return result

    monkeypatch.setattr(Validator, "save_bearer_token", save_then_regenerate)
    response = client.post(
        "/oauth/token.php",
        {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=basic(app.client_id, app.client_secret),
    )

    assert response.status_code == 200
    assert not AccessToken.objects.filter(application=app).exists()
    me = client.get("/uapi/@me", HTTP_AUTHORIZATION=f"Bearer {response.json()['access_token']}")
    assert me.status_code == 401


@pytest.mark.django_db
@pytest.mark.parametrize("change", ["disable", "remove"])
def test_a_token_request_overtaken_by_disable_or_remove_gets_no_token(client, demo, monkeypatch, change):
    from oauth.validator import Validator

    app = AppFactory(owner=demo["organization"], api=Api.UNIFIEDAPI, trusted=True)
    authenticate = Validator.authenticate_client

    def authenticate_then_change(self, request, *args, **kwargs):
        result = authenticate(self, request, *args, **kwargs)
        current = App.objects.get(pk=app.pk)
        if change == "disable":
            services.app_set_enabled(
                actor=app.owner, app=current, enabled=False, origin=services.COMMAND_LINE
            )
        else:
            services.app_remove(actor=app.owner, app=current, origin=services.COMMAND_LINE)
        return result

    monkeypatch.setattr(Validator, "authenticate_client", authenticate_then_change)
    response = client.post(
        "/oauth/token.php",
        {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=basic(app.client_id, app.client_secret),
    )

    assert response.status_code == 401
    assert not AccessToken.objects.exists()


# --- one of two secrets removed while token requests with each are in flight ------------------


@pytest.mark.slow
@live
def test_no_token_minted_with_a_removed_secret_outlives_its_removal_and_the_other_secrets_live(
    live_server, demo
):
    """Token requests with the old secret and with the new one run without pause while the old
    one is removed. Once the removal has returned, no token the old secret got works anywhere,
    every token the new one got still does, and the old secret gets no more tokens."""
    app = AppFactory(owner=demo["organization"], api=Api.UNIFIEDAPI, trusted=True)
    old_secret = app.client_secret
    app, new_secret = services.app_add_secret(actor=app.owner, app=app, origin=services.COMMAND_LINE)
    old_id = app.live_secrets[0].pk
    url = f"{live_server.url}/oauth/token.php"
    got_one = threading.Event()
    removed = threading.Event()
    tokens: dict[str, list[str]] = {"old": [], "new": []}
    statuses: dict[str, Counter] = {"old": Counter(), "new": Counter()}
    lock = threading.Lock()

    def hammer(which: str, secret: str) -> None:
        with requests.Session() as session:
            after = 0
            while after < 3:
                if removed.is_set():
                    after += 1
                response = session.post(
                    url,
                    data={"grant_type": "client_credentials"},
                    auth=(app.client_id, secret),
                    timeout=TIMEOUT,
                )
                with lock:
                    statuses[which][response.status_code] += 1
                    if response.status_code == 200:
                        tokens[which].append(response.json()["access_token"])
                        if which == "old":
                            got_one.set()

    workers = [
        threading.Thread(target=hammer, args=(which, secret))
        for which, secret in [("old", old_secret)] * 4 + [("new", new_secret)] * 2
    ]
    for worker in workers:
        worker.start()
    try:
        assert got_one.wait(timeout=TIMEOUT)
        services.app_remove_secret(actor=app.owner, app=app, secret_id=old_id, origin=services.COMMAND_LINE)
    finally:
        removed.set()
        for worker in workers:
            worker.join(timeout=TIMEOUT * 2)
        connection.close()

    assert set(statuses["old"]) <= {200, 401}, statuses
    assert statuses["old"][401] >= 4  # every old-secret worker was refused after the removal
    assert statuses["new"] == Counter({200: sum(statuses["new"].values())}), statuses
    with requests.Session() as session:
        me = [
            session.get(
                f"{live_server.url}/uapi/@me", headers={"Authorization": f"Bearer {value}"}, timeout=TIMEOUT
            )
            for value in tokens["old"] + tokens["new"]
        ]
    codes = [response.status_code for response in me]
    assert codes == [401] * len(tokens["old"]) + [200] * len(tokens["new"]), codes
    assert not AccessToken.objects.filter(secret_id=old_id).exists()
    services.purge_removed_secrets()
    assert not AccessToken.all_objects.filter(secret_id=old_id).exists()
    assert AccessToken.objects.filter(application=app).count() == len(tokens["new"])
