"""Races over real HTTP (threads against pytest-django's live server, on SQLite and on
PostgreSQL): a secret regenerated, or one of two removed, while token requests with the old
one are in flight; and the interleavings they hit at random, made to happen every time.

The forms sent at once at the App limit are in test_form_races.py.
"""

from __future__ import annotations

import importlib
import threading
from collections import Counter

import pytest
import requests
from django.db import connection

from apps_registry import services
from apps_registry.models import AccessToken, Api, App
from tests.factories import AppFactory
from tests.helpers import basic
from tests.security.helpers import TIMEOUT, live

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


# The two interleavings the test above hits at random, made to happen every time, on each of
# the token endpoint's client_credentials paths: the portal's own, whose hooks are the
# functions oauth.views.client_credentials calls, and django-oauth-toolkit's, the validator's.
OWN = importlib.import_module("oauth.views.client_credentials")
TOKEN_VIEWS = importlib.import_module("oauth.views.token")


@pytest.fixture(params=["own", "library"])
def token_path(request, monkeypatch):
    if request.param == "library":
        monkeypatch.setattr(TOKEN_VIEWS, "client_credentials", lambda request, sender: None)
    return request.param


def hook_authentication(monkeypatch, token_path, after) -> None:
    """Run `after()` once the client has authenticated, on the path the request takes."""
    from oauth.validator import Validator

    if token_path == "own":
        authenticate = OWN.authenticate

        def own(*args, **kwargs):
            result = authenticate(*args, **kwargs)
            after()
            return result

        monkeypatch.setattr(OWN, "authenticate", own)
    else:
        authenticate_client = Validator.authenticate_client

        def library(self, request, *args, **kwargs):
            result = authenticate_client(self, request, *args, **kwargs)
            after()
            return result

        monkeypatch.setattr(Validator, "authenticate_client", library)


@pytest.mark.django_db
def test_a_token_request_that_authenticated_before_regenerate_committed_gets_no_token(
    client, demo, monkeypatch, token_path
):
    """Authenticated with the old secret, then regenerate commits, then the token would be
    saved: refused, because the App's secret is checked again under the App's row lock."""
    app = AppFactory(owner=demo["organization"], api=Api.UNIFIEDAPI, trusted=True)
    hook_authentication(
        monkeypatch,
        token_path,
        lambda: services.app_regenerate_secret(
            actor=app.owner, app=App.objects.get(pk=app.pk), origin=services.COMMAND_LINE
        ),
    )
    response = client.post(
        "/oauth/token.php",
        {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=basic(app.client_id, app.client_secret),
    )

    assert response.status_code == 401
    assert response.json() == {"error": "invalid_client"}
    assert not AccessToken.objects.filter(application=app).exists()


@pytest.mark.django_db
def test_a_token_deleted_by_regenerate_before_the_answer_is_dead_on_arrival(
    client, demo, monkeypatch, token_path
):
    """The token was saved, then regenerate deleted it before the answer went out. The answer
    is still the token (the library's path reads it back for app_authorized and finds none: no
    signal, not a 500), and that token no longer works: as if the regenerate came just after."""
    from oauth.validator import Validator

    app = AppFactory(owner=demo["organization"], api=Api.UNIFIEDAPI, trusted=True)

    def regenerate():
        services.app_regenerate_secret(
            actor=app.owner, app=App.objects.get(pk=app.pk), origin=services.COMMAND_LINE
        )

    insert, save = OWN.insert, Validator.save_bearer_token
    monkeypatch.setattr(OWN, "insert", lambda token: (insert(token), regenerate()))
    monkeypatch.setattr(
        Validator,
        "save_bearer_token",
        lambda self, token, request, *a, **k: (save(self, token, request, *a, **k), regenerate())[0],
    )
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
def test_a_token_request_overtaken_by_disable_or_remove_gets_no_token(
    client, demo, monkeypatch, change, token_path
):
    app = AppFactory(owner=demo["organization"], api=Api.UNIFIEDAPI, trusted=True)

    def change_it():
        current = App.objects.get(pk=app.pk)
        if change == "disable":
            services.app_set_enabled(
                actor=app.owner, app=current, enabled=False, origin=services.COMMAND_LINE
            )
        else:
            services.app_remove(actor=app.owner, app=current, origin=services.COMMAND_LINE)

    hook_authentication(monkeypatch, token_path, change_it)
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
