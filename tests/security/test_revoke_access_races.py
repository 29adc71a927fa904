"""Revoke access (Authorized Apps) against the token endpoint in flight (issue 27, findings 4 and
5): a code exchange or a refresh over real HTTP (pytest-django's live server, one thread per
request, each with its own database connection) while the account revokes the App's access
in another thread (or the account is deactivated, which revokes every grant it gave), round
after round, on SQLite and on PostgreSQL.

Whichever wins, the token endpoint answers with OAuth: 200 (it committed first, and the revoke
then deleted what it issued) or 400 invalid_grant (the grant or the token was gone), never a
500; and once both are done the account holds nothing of the App: no access token, no refresh
token, no grant, and no refresh token anywhere names a deleted access token."""

from __future__ import annotations

import random
import time
from collections import Counter

import pytest
import requests
from django.db import connection
from django.test import Client

from accounts.services import account_set_active
from apps_registry.models import AccessToken, AppAuthorization, RefreshToken
from apps_registry.services import COMMAND_LINE, app_revoke_access
from tests.helpers import TOKEN_URL, basic, get_code
from tests.security.helpers import TIMEOUT, live, run_together

ROUNDS = 50


def exchange_in_process(app, code: str) -> dict:
    response = Client().post(
        TOKEN_URL,
        {"grant_type": "authorization_code", "code": code, "redirect_uri": app.redirect_uri},
        HTTP_AUTHORIZATION=basic(app.client_id, app.client_secret),
    )
    assert response.status_code == 200, response.content
    return response.json()


def revoke_access(app, user) -> None:
    app_revoke_access(actor=user, account=user, apps=[app], origin=COMMAND_LINE)


def deactivate(app, user) -> None:
    """The account deactivated by the account above it (its grants and tokens go with it)."""
    account_set_active(actor=user.parent, account=user, active=False, origin=COMMAND_LINE)


def race(live_server, app, user, data: dict, cut_off) -> tuple[int, dict]:
    """POST `data` to the token endpoint while `cut_off(app, user)` runs, started somewhere
    within the request's first 30 ms; the request's status and body."""

    def work(n: int):
        if n == 0:
            response = requests.post(
                live_server.url + TOKEN_URL,
                data=data,
                auth=(app.client_id, app.client_secret),
                timeout=TIMEOUT,
            )
            return response.status_code, response.json() if response.text.startswith("{") else response.text
        time.sleep(random.uniform(0, 0.03))
        cut_off(app, user)
        return "done"

    answer, cut = run_together(2, work)
    assert cut == "done", cut  # the revoke or deactivation itself never fails (a deadlock did)
    assert isinstance(answer, tuple), answer
    return answer


def assert_nothing_left(app, user) -> None:
    assert not AccessToken.all_objects.filter(application=app, user=user).exists()
    assert not RefreshToken.all_objects.filter(application=app, user=user).exists()
    assert not AppAuthorization.objects.filter(app=app, account=user).exists()
    dangling = RefreshToken.all_objects.filter(access_token_id__isnull=False).exclude(
        access_token_id__in=AccessToken.all_objects.values("pk")
    )
    assert not dangling.exists()


@pytest.mark.slow
@live
@pytest.mark.parametrize("cut_off", [revoke_access, deactivate], ids=["revoke_access", "deactivate"])
@pytest.mark.parametrize("grant_type", ["refresh_token", "authorization_code"])
def test_revoke_access_racing_the_token_endpoint_answers_oauth_and_leaves_nothing(
    live_server, demo, web_app, grant_type, cut_off
):
    """Revoke access, or the account's deactivation (which revokes every grant it gave)."""
    user = demo["user"]
    outcomes: Counter = Counter()
    for _ in range(ROUNDS):
        if not user.is_active:
            account_set_active(actor=user.parent, account=user, active=True, origin=COMMAND_LINE)
        code = get_code(Client(), web_app, user)
        connection.close()  # the test client's connection: the threads bring their own
        if grant_type == "refresh_token":
            tokens = exchange_in_process(web_app, code)
            data = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
        else:
            data = {"grant_type": "authorization_code", "code": code, "redirect_uri": web_app.redirect_uri}
        status, body = race(live_server, web_app, user, data, cut_off)

        assert status in (200, 400), (status, body)
        if status == 400:
            assert body["error"] == "invalid_grant", body
        outcomes[status] += 1
        assert_nothing_left(web_app, user)
    print(f"{cut_off.__name__}, {grant_type}: {dict(outcomes)} over {ROUNDS} rounds")
