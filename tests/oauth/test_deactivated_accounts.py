"""A deactivated account, as the user a token acts for or as the owner of the App, gets nothing
anywhere (issue 13, item 3): whichever path deactivated it, the token endpoint, /uapi/@me,
introspection, authorize.php and register.php refuse it when they read; deactivating through
accounts.services also deletes what it holds; and the database refuses a token minted for it
meanwhile (migration 0005)."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from oauth2_provider.models import get_grant_model

from accounts.models import Account
from accounts.services import account_set_active
from apps_registry.models import AccessToken, Api, App, RefreshToken
from portal.audit import COMMAND_LINE
from tests.factories import AppFactory
from tests.helpers import TOKEN_URL, basic, cc_token, get_code

pytestmark = pytest.mark.django_db


def token_request(client, app, **data):
    return client.post(TOKEN_URL, data, HTTP_AUTHORIZATION=basic(app.client_id, app.client_secret))


def user_tokens(client, app, user) -> dict:
    code = get_code(client, app, user)
    client.logout()
    response = token_request(client, app, grant_type="authorization_code", code=code)
    assert response.status_code == 200, response.content
    return response.json()


def me(client, token):
    return client.get("/uapi/@me", HTTP_AUTHORIZATION=f"Bearer {token}")


def introspect(client, caller, token):
    return client.post(
        "/oauth/introspect",
        {"token": token},
        HTTP_AUTHORIZATION=basic(caller.client_id, caller.client_secret),
    )


def from_the_shell(account: Account, active: bool = False) -> None:
    """Deactivate as `account.is_active = False; account.save()` would: no service, no signal."""
    Account.objects.filter(pk=account.pk).update(is_active=active)


# --- read-time checks, whichever path deactivated the account -------------------------------


def test_an_inactive_users_access_token_is_refused_at_me(client, web_app, demo):
    token = user_tokens(client, web_app, demo["user"])["access_token"]
    assert me(client, token).status_code == 200
    from_the_shell(demo["user"])

    response = me(client, token)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "account_disabled"
    from_the_shell(demo["user"], active=True)
    assert me(client, token).status_code == 200  # like a disabled App's, it works again


def test_a_token_of_an_app_whose_owner_is_inactive_is_refused_at_me(client, web_app, trusted_app, demo):
    user_token = user_tokens(client, web_app, demo["user"])["access_token"]
    owner_token = cc_token(client, trusted_app)
    from_the_shell(demo["organization"])  # owns both Apps

    for token in (user_token, owner_token):
        response = me(client, token)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "account_disabled"


def test_me_still_costs_one_query_with_the_account_checks(client, web_app, demo, django_assert_num_queries):
    token = user_tokens(client, web_app, demo["user"])["access_token"]
    from_the_shell(demo["user"])
    with django_assert_num_queries(1):
        assert me(client, token).status_code == 401


def test_an_inactive_users_refresh_token_is_refused_and_not_rotated(client, web_app, demo):
    tokens = user_tokens(client, web_app, demo["user"])
    from_the_shell(demo["user"])

    response = token_request(
        client, web_app, grant_type="refresh_token", refresh_token=tokens["refresh_token"]
    )

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert RefreshToken.objects.get().revoked is None  # the rotation was rolled back
    assert AccessToken.objects.count() == 1


def test_a_refresh_token_of_an_app_whose_owner_is_inactive_is_refused(client, web_app, demo):
    tokens = user_tokens(client, web_app, demo["user"])
    from_the_shell(demo["organization"])

    response = token_request(
        client, web_app, grant_type="refresh_token", refresh_token=tokens["refresh_token"]
    )

    assert response.status_code == 401
    assert response.json() == {"error": "invalid_client"}


def test_an_inactive_users_unused_code_is_refused(client, web_app, demo):
    code = get_code(client, web_app, demo["user"])
    client.logout()
    from_the_shell(demo["user"])

    response = token_request(client, web_app, grant_type="authorization_code", code=code)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert not AccessToken.objects.exists()


def test_client_credentials_on_an_inactive_owners_trusted_app_is_invalid_client(client, trusted_app, demo):
    from_the_shell(demo["organization"])

    response = token_request(client, trusted_app, grant_type="client_credentials")

    assert response.status_code == 401
    assert response.json() == {"error": "invalid_client"}
    assert not AccessToken.objects.exists()


def test_client_credentials_still_costs_one_select_and_one_insert(client, trusted_app):
    """The account checks ride in the INSERT's trigger (tests/oauth/test_token_costs.py counts it)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    # The minute's first use of the secret writes when it was last used; the next costs 2.
    assert token_request(client, trusted_app, grant_type="client_credentials").status_code == 200
    with CaptureQueriesContext(connection) as captured:
        assert token_request(client, trusted_app, grant_type="client_credentials").status_code == 200
    sql = [q["sql"] for q in captured if q["sql"].startswith(("SELECT", "INSERT", "UPDATE", "DELETE"))]
    assert len(sql) == 2, sql


def test_an_inactive_accounts_token_introspects_as_inactive(client, web_app, demo):
    token = user_tokens(client, web_app, demo["user"])["access_token"]
    assert introspect(client, web_app, token).json()["active"] is True
    from_the_shell(demo["user"])
    assert introspect(client, web_app, token).json() == {"active": False}


def test_an_app_whose_owner_is_inactive_cannot_introspect(client, web_app, demo):
    other = AppFactory(owner=demo["user"], api=Api.UNIFIEDAPI, redirect_uri=web_app.redirect_uri)
    token = user_tokens(client, other, demo["user"])["access_token"]
    own = user_tokens(client, web_app, demo["user"])["access_token"]
    from_the_shell(demo["organization"])  # owns web_app, not `other`

    response = introspect(client, web_app, own)

    assert response.status_code == 401
    assert response.json() == {"error": "invalid_client"}
    assert introspect(client, other, token).json()["active"] is True


def test_authorize_php_refuses_an_app_whose_owner_is_inactive(client, web_app, demo):
    client.force_login(demo["user"])
    params = {"response_type": "code", "client_id": web_app.client_id, "redirect_uri": web_app.redirect_uri}
    page = client.get("/oauth/authorize.php", params)
    assert page.status_code == 200
    from_the_shell(demo["organization"])

    shown = client.get("/oauth/authorize.php", params)
    allowed = client.post("/oauth/authorize.php", {"request": page.context["blob"], "action": "allow"})

    assert shown.status_code == 400
    assert allowed.status_code == 400
    assert "Location" not in allowed
    assert not get_grant_model().objects.exists()


def test_authorize_php_cannot_act_for_an_inactive_user(client, web_app, demo):
    client.force_login(demo["user"])
    params = {"response_type": "code", "client_id": web_app.client_id, "redirect_uri": web_app.redirect_uri}
    page = client.get("/oauth/authorize.php", params)
    from_the_shell(demo["user"])

    response = client.post("/oauth/authorize.php", {"request": page.context["blob"], "action": "allow"})

    # The session no longer signs anyone in: the consent page asks for a sign-in, issues nothing.
    assert response.status_code == 400
    assert not get_grant_model().objects.exists()


def test_register_php_cannot_act_for_an_inactive_user(client, demo):
    client.force_login(demo["organization"])
    params = {
        "name": "A",
        "homepage": "https://a.example/",
        "email": "a@a.example",
        "redirect_uri": "https://a.example/cb",
    }
    page = client.get("/oauth/register.php", params)
    from_the_shell(demo["organization"])

    response = client.post(
        "/oauth/register/consent/",
        {"request": page.context["blob"], "action": "register", "grant_access": "on"},
    )
    signed_in = client.post(
        "/oauth/register/consent/",
        {
            "request": page.context["blob"],
            "action": "register",
            "username": "organization",
            "password": "demo",
        },
    )

    assert response.status_code == 400
    assert signed_in.status_code == 400
    assert not App.objects.exists()


# --- deactivation through the service revokes what the account holds --------------------------


def test_deactivating_revokes_the_accounts_tokens_and_codes_as_user_and_as_owner(
    client, web_app, demo, make_tokens
):
    owned = AppFactory(owner=demo["user"], api=Api.UNIFIEDAPI)  # an App the user owns
    other_user_app = AppFactory(owner=demo["user2"], api=Api.UNIFIEDAPI)
    make_tokens(web_app, 2, user=demo["user"])  # acting for the user, on someone else's App
    make_tokens(owned, 2, user=demo["organization"])  # acting for someone else, on the user's App
    make_tokens(web_app, 1, user=demo["organization"])  # neither: stays
    make_tokens(other_user_app, 1)  # another tree: stays
    code = get_code(client, web_app, demo["user"])
    client.logout()

    account_set_active(actor=demo["admin"], account=demo["user"], active=False, origin=COMMAND_LINE)

    assert set(AccessToken.objects.values_list("user__username", "application__name")) == {
        ("organization", web_app.name),
        ("user2", other_user_app.name),
    }
    assert RefreshToken.objects.count() == 2
    assert not get_grant_model().objects.exists()
    # Reactivated, nothing comes back.
    account_set_active(actor=demo["admin"], account=demo["user"], active=True, origin=COMMAND_LINE)
    assert token_request(client, web_app, grant_type="authorization_code", code=code).status_code == 400


def test_deactivating_in_the_admin_revokes_too(client, trusted_app, demo):
    cc_token(client, trusted_app)
    client.force_login(demo["admin"])

    client.post(
        reverse("admin:accounts_account_changelist"),
        {"action": "deactivate_selected", "_selected_action": [demo["organization"].pk]},
    )

    assert not Account.objects.get(pk=demo["organization"].pk).is_active
    assert not AccessToken.objects.exists()


# --- the database's guard (migration 0005) ----------------------------------------------------


@pytest.mark.parametrize("inactive", ["user", "owner"])
def test_the_database_refuses_a_token_for_an_inactive_account(web_app, demo, inactive):
    from_the_shell(demo["organization"] if inactive == "owner" else demo["user"])
    token = AccessToken(
        user=demo["user"],
        application=web_app,
        token="guarded",
        expires=timezone.now() + timedelta(hours=1),
        scope=Api.UNIFIEDAPI,
    )
    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        token.save()
    assert ("app_owner_disabled" if inactive == "owner" else "account_disabled") in str(refused.value)
