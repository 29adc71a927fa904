"""Open RFC 7591 registration's limits under concurrent requests (design §6.1): many
registrations from one address at once over real HTTP (threads against the live server, each
with its own database connection, as gunicorn's processes would), on SQLite and PostgreSQL.
The per-address rate and the total cap are counted under a lock on the owning account's row,
so exactly the allowed number pass; an initial access token's uses likewise."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta

import pytest
import requests
from django.utils import timezone

from apps_registry.models import App, InitialAccessToken
from oauth.services import initial_access_token_create
from portal.audit import COMMAND_LINE
from tests.security.helpers import TIMEOUT, run_together

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 8
BODY = {
    "client_name": "Racer",
    "redirect_uris": ["http://127.0.0.1:5000/cb"],
    "token_endpoint_auth_method": "none",
}


def register(live_server, headers: dict | None = None) -> int:
    return requests.post(
        f"{live_server.url}/oauth/register", data=json.dumps(BODY), timeout=TIMEOUT,
        headers={"Content-Type": "application/json", **(headers or {})},
    ).status_code  # fmt: skip


def test_concurrent_open_registrations_from_one_address_stop_at_the_rate(live_server, demo, settings):
    settings.OAUTH_OPEN_REGISTRATION_ACCOUNT = "organization"
    settings.OAUTH_OPEN_REGISTRATION_PER_ADDRESS = 3
    outcomes = run_together(THREADS, lambda n: register(live_server))
    assert Counter(outcomes) == {201: 3, 429: THREADS - 3}, outcomes
    assert App.objects.count() == 3


def test_concurrent_uses_of_an_initial_access_token_stop_at_its_uses(live_server, demo):
    token = initial_access_token_create(
        actor=demo["user"],
        account=demo["user"],
        name="race",
        expires=timezone.now() + timedelta(days=1),
        max_uses=2,
        origin=COMMAND_LINE,
    )[1]
    outcomes = run_together(THREADS, lambda n: register(live_server, {"Authorization": f"Bearer {token}"}))
    assert Counter(outcomes) == {201: 2, 401: THREADS - 2}, outcomes
    assert App.objects.count() == 2 and InitialAccessToken.objects.get().uses == 2
