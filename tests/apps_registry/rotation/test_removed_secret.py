"""Rotation without downtime (issue 16): two secrets at once, each token remembering its
secret, removing one revokes exactly its tokens. A removed secret's tokens are refused at
every read before their rows go, then purged."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from oauthlib.common import Request as OAuthRequest

from apps_registry import services
from apps_registry.models import AccessToken, AppSecret, RefreshToken
from apps_registry.selectors import apps_to_remove, live_tokens
from oauth.validator import Validator
from tests.apps_registry.rotation.helpers import ORIGIN, introspected, me_status, rotating, token
from tests.factories import AppFactory
from tests.helpers import TOKEN_URL, basic, get_code, text

# --- a removed secret's tokens are refused at every read, before their rows go ---------------


@pytest.fixture
def removed(client, web_app, owner, demo):
    """An authorization-code token pair minted with the old secret, and one with the new;
    then the old secret removed (not purged)."""
    app, old, new = rotating(web_app, owner)
    old_pair = token(
        client, app, old, grant_type="authorization_code", code=get_code(client, app, demo["user"])
    )
    new_pair = token(
        client, app, new, grant_type="authorization_code", code=get_code(client, app, demo["user"])
    )
    client.logout()
    services.app_remove_secret(actor=owner, app=app, secret_id=app.live_secrets[0].pk, origin=ORIGIN)
    assert AccessToken.all_objects.filter(application=app).count() == 2  # the rows are still there
    assert RefreshToken.all_objects.filter(application=app).count() == 2
    return app, new, old_pair, new_pair


def test_uapi_me_refuses_a_removed_secrets_token_and_still_costs_one_query(client, removed):
    _, _, old_pair, new_pair = removed

    with CaptureQueriesContext(connection) as captured:
        assert me_status(client, old_pair["access_token"]) == 401
    assert len(captured) == 1
    assert me_status(client, new_pair["access_token"]) == 200


def test_introspection_says_a_removed_secrets_tokens_are_not_active(client, removed):
    app, new, old_pair, new_pair = removed

    assert not introspected(client, app, new, old_pair["access_token"])
    assert not introspected(client, app, new, old_pair["refresh_token"])
    assert introspected(client, app, new, new_pair["access_token"])
    assert introspected(client, app, new, new_pair["refresh_token"])


def test_a_removed_secrets_refresh_token_is_refused_even_with_the_new_secret(client, removed):
    app, new, old_pair, new_pair = removed

    response = client.post(
        TOKEN_URL,
        {"grant_type": "refresh_token", "refresh_token": old_pair["refresh_token"]},
        HTTP_AUTHORIZATION=basic(app.client_id, new),
    )

    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"
    token(client, app, new, grant_type="refresh_token", refresh_token=new_pair["refresh_token"])


def test_bearer_validation_refuses_a_removed_secrets_token(removed):
    _, _, old_pair, new_pair = removed
    validator = Validator()

    assert not validator.validate_bearer_token(old_pair["access_token"], [], OAuthRequest("https://x/"))
    assert validator.validate_bearer_token(new_pair["access_token"], [], OAuthRequest("https://x/"))


def test_revoking_a_removed_secrets_token_finds_nothing_to_revoke(client, removed):
    app, new, old_pair, _ = removed

    response = client.post(
        "/oauth/revoke", {"token": old_pair["access_token"]}, HTTP_AUTHORIZATION=basic(app.client_id, new)
    )

    assert response.status_code == 200  # RFC 7009: the same answer as for any unknown token
    assert AccessToken.all_objects.filter(application=app).count() == 2  # the purge deletes it


def test_the_token_list_and_counts_leave_out_a_removed_secrets_tokens(client, removed, owner):
    app, _, _, _new_pair = removed

    assert live_tokens(app).count() == 1
    assert [each.live_tokens for each in apps_to_remove(owner, owner, [app.pk])] == [1]
    client.force_login(owner)
    listed = text(client.get(reverse("apps_registry:tokens", args=[app.pk])))
    assert listed.count('name="token"') == 1


def test_the_purge_deletes_the_rows_in_batches_and_then_the_secret(removed):
    app, _, _, _ = removed
    gone = AppSecret.objects.get(app=app, removed__isnull=False)

    first = services.purge_removed_secrets(batch=1, max_batches=1)
    rest = services.purge_removed_secrets(batch=1)

    assert (first["access_tokens"], first["refresh_tokens"], first["secrets"]) == (1, 1, 0)
    assert (rest["access_tokens"], rest["refresh_tokens"], rest["secrets"]) == (0, 0, 1)
    assert not AppSecret.objects.filter(pk=gone.pk).exists()
    assert AccessToken.all_objects.filter(application=app).count() == 1  # the new secret's


def test_purge_expired_purges_the_removed_secrets_tokens(removed):
    from oauth.housekeeping import purge_expired

    app, _, _, _ = removed
    counts = purge_expired()

    assert (counts["removed_secrets"], counts["tokens_of_removed_secrets"]) == (1, 2)
    assert AccessToken.all_objects.filter(application=app).count() == 1


def test_the_database_refuses_a_token_for_a_removed_or_foreign_secret(trusted_app, owner):
    app, _, _ = rotating(trusted_app, owner)
    old = app.live_secrets[0]
    services.app_remove_secret(actor=owner, app=app, secret_id=old.pk, origin=ORIGIN)
    foreign = AppFactory(owner=owner).live_secrets[0]

    for secret in (old, foreign):
        with pytest.raises(IntegrityError, match="app_secret_changed"), transaction.atomic():
            AccessToken.objects.create(
                application=app,
                user=owner,
                token=f"t{secret.pk}",
                expires=timezone.now() + timedelta(hours=1),
                secret=secret,
            )
    AccessToken.objects.create(
        application=app,
        user=owner,
        token="fine",
        expires=timezone.now() + timedelta(hours=1),
        secret=app.live_secrets[1],
    )
