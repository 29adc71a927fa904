"""Rotation without downtime (issue 16): two secrets at once, each token remembering its
secret, removing one revokes exactly its tokens. Through the services: add and remove a
secret, move a token to the new one, Regenerate, last used per secret."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps_registry import services
from apps_registry.exceptions import LastSecret, SecretLimitReached, SecretNotFound
from apps_registry.models import AccessToken, App, AppSecret, AuditAction, AuditEvent
from tests.apps_registry.rotation.helpers import ORIGIN, me_status, rotating, token
from tests.factories import AppFactory
from tests.helpers import TOKEN_URL, basic, get_code

# --- the services ---------------------------------------------------------------------------


def test_a_second_secret_authenticates_alongside_the_first_in_basic_and_body(client, trusted_app, owner):
    app, old, new = rotating(trusted_app, owner)

    assert old != new and len(new) == 32
    for secret in (old, new):
        token(client, app, secret)
        body = {"grant_type": "client_credentials", "client_id": app.client_id, "client_secret": secret}
        assert client.post(TOKEN_URL, body).status_code == 200
    wrong = client.post(
        TOKEN_URL, {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=basic(app.client_id, "x" * 32)
    )
    assert wrong.status_code == 401
    event = AuditEvent.objects.get(action=AuditAction.ADD_SECRET)
    assert set(event.details) == {"secret", "secret_added"}
    assert new not in json.dumps(event.details) and new[-4:] not in json.dumps(event.details)


def test_each_token_remembers_the_secret_that_minted_it(client, trusted_app, owner):
    app, old, new = rotating(trusted_app, owner)
    first, second = app.live_secrets

    with_old, with_new = token(client, app, old), token(client, app, new)

    assert AccessToken.objects.get(token_checksum=_checksum(with_old["access_token"])).secret_id == first.pk
    assert AccessToken.objects.get(token_checksum=_checksum(with_new["access_token"])).secret_id == second.pk


def test_a_third_secret_is_refused_and_nothing_is_written(trusted_app, owner):
    app, _, _ = rotating(trusted_app, owner)
    before = AuditEvent.objects.count()

    with pytest.raises(SecretLimitReached) as refused:
        services.app_add_secret(actor=owner, app=app, origin=ORIGIN)

    assert refused.value.code == "secret_limit_reached"
    assert AppSecret.objects.live().filter(app=app).count() == 2
    assert AuditEvent.objects.count() == before


def test_the_last_secret_cannot_be_removed(trusted_app, owner):
    only = trusted_app.live_secrets[0]

    with pytest.raises(LastSecret) as refused:
        services.app_remove_secret(actor=owner, app=trusted_app, secret_id=only.pk, origin=ORIGIN)

    assert refused.value.code == "last_secret"
    assert AppSecret.objects.live().filter(app=trusted_app).count() == 1
    assert not AuditEvent.objects.filter(action=AuditAction.REMOVE_SECRET).exists()


@pytest.mark.parametrize("which", ["another App's", "removed", "made up", "not a number"])
def test_a_secret_that_is_not_one_of_the_apps_live_ones_is_not_found(which, trusted_app, owner, demo):
    app, _, _ = rotating(trusted_app, owner)
    other = AppFactory(owner=owner)
    if which == "removed":
        gone = app.live_secrets[0].pk
        services.app_remove_secret(actor=owner, app=app, secret_id=gone, origin=ORIGIN)
        services.app_add_secret(actor=owner, app=app, origin=ORIGIN)
    secret_id = {
        "another App's": other.live_secrets[0].pk,
        "removed": app.live_secrets[0].pk if which != "removed" else gone,
        "made up": 10**9,
        "not a number": "x",
    }[which]

    with pytest.raises(SecretNotFound):
        services.app_remove_secret(actor=owner, app=app, secret_id=secret_id, origin=ORIGIN)
    with pytest.raises(SecretNotFound):
        services.app_reveal_secret(actor=owner, app=app, secret_id=secret_id, origin=ORIGIN)
    assert AppSecret.objects.live().filter(app=app).count() == 2
    assert AppSecret.objects.live().filter(app=other).count() == 1


def test_only_those_who_manage_the_app_add_or_remove_its_secrets(trusted_app, demo):
    stranger = demo["organization2"]
    with pytest.raises(PermissionDenied):
        services.app_add_secret(actor=stranger, app=trusted_app, origin=ORIGIN)
    with pytest.raises(PermissionDenied):
        services.app_remove_secret(
            actor=stranger, app=trusted_app, secret_id=trusted_app.live_secrets[0].pk, origin=ORIGIN
        )
    assert AppSecret.objects.filter(app=trusted_app).count() == 1


def test_removing_the_old_secret_revokes_exactly_its_tokens(client, trusted_app, owner, demo):
    app, old, new = rotating(trusted_app, owner)
    doomed = [token(client, app, old)["access_token"] for _ in range(2)]
    kept = [token(client, app, new)["access_token"] for _ in range(3)]
    other_app = AppFactory(owner=owner, trusted=True, api=app.api)
    bystander = token(client, other_app, other_app.client_secret)["access_token"]

    revoked = services.app_remove_secret(
        actor=demo["admin"], app=app, secret_id=app.live_secrets[0].pk, origin=ORIGIN
    )

    assert revoked == {"refresh_tokens": 0, "access_tokens": 2}
    assert [me_status(client, value) for value in doomed] == [401, 401]
    assert [me_status(client, value) for value in [*kept, bystander]] == [200, 200, 200, 200]
    assert (
        client.post(
            TOKEN_URL, {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=basic(app.client_id, old)
        ).status_code
        == 401
    )
    token(client, app, new)
    event = AuditEvent.objects.get(action=AuditAction.REMOVE_SECRET)
    assert (event.actor, event.details["access_tokens"], event.details["refresh_tokens"]) == (
        demo["admin"],
        2,
        0,
    )
    assert old not in json.dumps(event.details)


# --- moving to the new secret, and Regenerate -----------------------------------------------


def test_refreshing_with_the_new_secret_moves_the_token_to_it(client, web_app, owner, demo):
    app = web_app
    old = app.client_secret
    pair = token(client, app, old, grant_type="authorization_code", code=get_code(client, app, demo["user"]))
    client.logout()
    app, new = services.app_add_secret(actor=owner, app=app, origin=ORIGIN)

    moved = token(client, app, new, grant_type="refresh_token", refresh_token=pair["refresh_token"])
    services.app_remove_secret(actor=owner, app=app, secret_id=app.live_secrets[0].pk, origin=ORIGIN)

    assert me_status(client, moved["access_token"]) == 200
    token(client, app, new, grant_type="refresh_token", refresh_token=moved["refresh_token"])


def test_regenerate_replaces_both_secrets_with_one_and_every_token_dies(
    client, trusted_app, owner, make_tokens
):
    app, old, new = rotating(trusted_app, owner)
    values = [token(client, app, secret)["access_token"] for secret in (old, new)]
    make_tokens(app, 2, secret=None)  # made outside the token endpoint: deleted at once

    app = services.app_regenerate_secret(actor=owner, app=app, origin=ORIGIN)

    assert len(app.live_secrets) == 1 and app.client_secret not in (old, new)
    assert [me_status(client, value) for value in values] == [401, 401]
    assert not AccessToken.objects.filter(application=app).exists()
    assert AccessToken.all_objects.filter(application=app).count() == 2  # dead, awaiting the purge
    event = AuditEvent.objects.get(action=AuditAction.REGENERATE_SECRET)
    assert (event.details["access_tokens"], event.details["refresh_tokens"]) == (4, 2)
    for secret in (old, new):
        response = client.post(
            TOKEN_URL, {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=basic(app.client_id, secret)
        )
        assert response.status_code == 401
    token(client, app, app.client_secret)


# --- last used ------------------------------------------------------------------------------


def test_last_used_is_written_once_a_minute_per_secret_not_per_request(client, trusted_app, owner):
    app = trusted_app
    secret = app.client_secret
    assert AppSecret.objects.get(app=app).last_used is None

    with CaptureQueriesContext(connection) as first:
        token(client, app, secret)
    with CaptureQueriesContext(connection) as second:
        token(client, app, secret)

    updates = [q["sql"] for q in first if q["sql"].startswith("UPDATE")]
    assert len(updates) == 2  # the secret's and the App's
    assert not [q for q in second if q["sql"].startswith("UPDATE")]
    used = AppSecret.objects.get(app=app).last_used
    assert used is not None and App.objects.get(pk=app.pk).last_used == used

    AppSecret.objects.filter(app=app).update(last_used=used - timedelta(seconds=61))
    token(client, app, secret)
    assert AppSecret.objects.get(app=app).last_used > used


def test_record_secret_use_writes_once_when_two_requests_find_it_stale(trusted_app):
    secret = trusted_app.live_secrets[0]
    now = timezone.now()
    stale_copy = AppSecret.objects.get(pk=secret.pk)

    assert services.record_secret_use(secret, now=now) is True
    assert services.record_secret_use(stale_copy, now=now + timedelta(seconds=1)) is False  # the guard


def _checksum(value: str) -> str:
    from oauth.validator import checksum

    return checksum(value)
