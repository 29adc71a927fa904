"""Issue 27, finding 1: a registrant's address is never mailed. Through a real SMTP server on
loopback and the outbox's worker: open registration and registration with an initial access
token naming a stranger in `contacts`, RFC 7592's update and delete, and purge_expired removing
an unused open-registered App send the stranger nothing at all; the owning account alone hears
of the removals, one letter per change (one digest for a purge)."""

from __future__ import annotations

import email
import email.policy
import io
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from apps_registry.models import App
from apps_registry.services import COMMAND_LINE, app_regenerate_secret, app_set_enabled
from tests.helpers import deliver_outbox
from tests.oauth.test_initial_access_tokens import make_token
from tests.served import SMTPServer

pytestmark = pytest.mark.django_db

STRANGER = "victim@stranger.example"
EVIL_NAME = "URGENT: your account is suspended - verify at https://evil.example"


@pytest.fixture
def smtp(settings):
    settings.PORTAL_BASE_URL = "https://portal.example.com"  # links could be mailed: none is
    settings.OAUTH_OPEN_REGISTRATION_ACCOUNT = "organization"
    server = SMTPServer()
    with server.running(settings):
        yield server


def register(client, token: str | None = None, **metadata) -> dict:
    body = {
        "client_name": EVIL_NAME,
        "redirect_uris": ["http://127.0.0.1:4000/cb"],
        "token_endpoint_auth_method": "none" if token is None else "client_secret_basic",
        "contacts": [STRANGER],
        **metadata,
    }
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    response = client.post(
        "/oauth/register", json.dumps(body), content_type="application/json", secure=True, **headers
    )
    assert response.status_code == 201, response.content
    return response.json()


def configuration(client, method: str, info: dict, body: dict | None = None):
    return getattr(client, method)(
        f"/oauth/register/{info['client_id']}",
        json.dumps(body) if body is not None else "",
        content_type="application/json",
        secure=True,
        HTTP_AUTHORIZATION=f"Bearer {info['registration_access_token']}",
    )


def recipients(server: SMTPServer) -> list[str]:
    return sorted(address for envelope in server.received for address in envelope.rcpt_tos)


@pytest.mark.parametrize("with_token", [False, True], ids=["open registration", "initial access token"])
def test_a_registrants_address_gets_nothing_for_anything_the_registrant_does(client, demo, smtp, with_token):
    token = make_token(demo["user"]) if with_token else None
    owner = demo["user"] if with_token else demo["organization"]
    info = register(client, token)
    app = App.objects.get(client_id=info["client_id"])
    assert app.email == STRANGER  # kept, as information
    updated = {**{k: v for k, v in info.items() if k in ("client_id", "redirect_uris")}, "client_name": "x"}
    updated |= {"token_endpoint_auth_method": info["token_endpoint_auth_method"], "contacts": [STRANGER]}
    assert configuration(client, "put", info, updated).status_code == 200
    assert configuration(client, "get", info).status_code == 200
    assert configuration(client, "delete", info).status_code == 204
    deliver_outbox()

    assert STRANGER not in recipients(smtp)
    assert recipients(smtp) == [owner.email]  # the removal, to the account that owned it
    [envelope] = smtp.received
    message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
    assert message["Subject"] == "App removed: x"


def test_nor_for_what_the_owner_does_to_such_an_app(client, demo, smtp):
    info = register(client, make_token(demo["user"]))
    app = App.objects.get(client_id=info["client_id"])
    app_set_enabled(actor=demo["user"], app=app, enabled=False, origin=COMMAND_LINE)
    app_set_enabled(actor=demo["user"], app=app, enabled=True, origin=COMMAND_LINE)
    app_regenerate_secret(actor=demo["user"], app=app, origin=COMMAND_LINE)
    deliver_outbox()
    assert recipients(smtp) == [demo["user"].email] * 3


def test_purge_expired_mails_the_owning_account_one_digest_and_the_registrants_nothing(client, demo, smtp):
    for _ in range(3):
        register(client, contacts=[STRANGER])
    App.objects.update(unused_expires=timezone.now() - timedelta(minutes=1))

    call_command("purge_expired", stdout=io.StringIO())
    deliver_outbox()

    assert not App.objects.exists()
    assert recipients(smtp) == [demo["organization"].email]
    message = email.message_from_bytes(smtp.received[0].original_content, policy=email.policy.default)
    assert message["Subject"] == "App removed: 3 Apps"
