"""The interleavings of test_revoke_access_races.py made to happen every time (issue 27,
findings 4 and 5), and the database's own guard (migration 0013) shown without the token
endpoint's check in front of it."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from apps_registry.migrations._refusals import ACCESS_REVOKED
from apps_registry.models import AccessToken, AppAuthorization, RefreshToken
from apps_registry.services import COMMAND_LINE, app_revoke_access
from tests.helpers import TOKEN_URL, basic, get_code

pytestmark = pytest.mark.django_db


def exchange(client, app, code: str):
    return client.post(
        TOKEN_URL,
        {"grant_type": "authorization_code", "code": code, "redirect_uri": app.redirect_uri},
        HTTP_AUTHORIZATION=basic(app.client_id, app.client_secret),
    )


def refresh(client, app, refresh_token: str):
    return client.post(
        TOKEN_URL,
        {"grant_type": "refresh_token", "refresh_token": refresh_token},
        HTTP_AUTHORIZATION=basic(app.client_id, app.client_secret),
    )


def revoke(app, user) -> None:
    app_revoke_access(actor=user, account=user, apps=[app], origin=COMMAND_LINE)


@pytest.fixture(params=["python", "database"])
def guard(request, monkeypatch):
    """Which guard meets the late request: the token endpoint's own check of the grant, or,
    with that check made to pass, the trigger alone."""
    if request.param == "database":
        import oauth.validator

        monkeypatch.setattr(oauth.validator, "app_authorization_hold", lambda **ids: True)
    return request.param


def test_a_refresh_validated_before_revoke_access_committed_is_invalid_grant(
    client, demo, web_app, monkeypatch, guard
):
    """The refresh token was read and found good, then the account revoked the App's access,
    then the token endpoint would save the new pair: invalid_grant, never a 500
    (RefreshToken.DoesNotExist escaped before), and nothing is issued."""
    from oauth.validator import Validator

    user = demo["user"]
    tokens = exchange(client, web_app, get_code(client, web_app, user)).json()
    validate = Validator.validate_refresh_token

    def validate_then_revoke(self, *args, **kwargs):
        valid = validate(self, *args, **kwargs)
        revoke(web_app, user)
        return valid

    monkeypatch.setattr(Validator, "validate_refresh_token", validate_then_revoke)
    response = refresh(client, web_app, tokens["refresh_token"])

    assert response.status_code == 400, response.content
    assert response.json()["error"] == "invalid_grant"
    assert not AccessToken.all_objects.filter(application=web_app, user=user).exists()
    assert not RefreshToken.all_objects.filter(application=web_app, user=user).exists()


def test_a_code_validated_before_revoke_access_committed_is_invalid_grant(
    client, demo, web_app, monkeypatch, guard
):
    """The code was read and found good, then the access was revoked (the code with it):
    invalid_grant, whichever of django-oauth-toolkit's later reads of the code or the save
    meets it first, and nothing is issued."""
    from oauth.validator import Validator

    user = demo["user"]
    code = get_code(client, web_app, user)
    validate = Validator.validate_code

    def validate_then_revoke(self, *args, **kwargs):
        valid = validate(self, *args, **kwargs)
        revoke(web_app, user)
        return valid

    monkeypatch.setattr(Validator, "validate_code", validate_then_revoke)
    response = exchange(client, web_app, code)

    assert response.status_code == 400, response.content
    assert response.json()["error"] == "invalid_grant"
    assert not AccessToken.all_objects.filter(application=web_app, user=user).exists()
    assert not RefreshToken.all_objects.filter(application=web_app, user=user).exists()


def test_the_database_refuses_a_refresh_token_without_its_grant(demo, web_app):
    """Whoever writes it: a refresh token for an (App, account) with no grant is refused."""
    user = demo["user"]
    assert not AppAuthorization.objects.filter(app=web_app, account=user).exists()
    with pytest.raises(IntegrityError, match=ACCESS_REVOKED), transaction.atomic():
        RefreshToken.objects.create(user=user, application=web_app, token="r")
    AppAuthorization.objects.create(app=web_app, account=user, api=web_app.api)
    RefreshToken.objects.create(user=user, application=web_app, token="r")


def test_a_refresh_token_cannot_name_a_deleted_access_token(client, demo, web_app):
    """The link is a foreign key: deleting the access token under a refresh token that names
    it, in SQL as the bulk deletes do, is refused when the constraints are checked."""
    user = demo["user"]
    tokens = exchange(client, web_app, get_code(client, web_app, user)).json()
    linked = RefreshToken.objects.get(token_checksum__isnull=False, user=user, revoked__isnull=True)
    assert linked.access_token_id is not None and tokens["refresh_token"]
    table = connection.ops.quote_name(AccessToken._meta.db_table)
    with pytest.raises(IntegrityError), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {table} WHERE id = %s", [linked.access_token_id])  # noqa: S608
        connection.check_constraints(table_names=[RefreshToken._meta.db_table])
    assert AccessToken.objects.filter(pk=linked.access_token_id).exists()
