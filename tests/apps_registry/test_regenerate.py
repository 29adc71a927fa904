import json
import time

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from oauth2_provider.models import Grant
from oauth2_provider.views import TokenView
from oauthlib.common import Request as OAuthRequest

from apps_registry import services
from apps_registry.models import AccessToken, App, AuditAction, AuditEvent, RefreshToken
from oauth.validator import Validator
from tests.factories import AppFactory

ORIGIN = services.Origin(source="portal", ip_address="198.51.100.7")


def token_request(app: App, secret: str):
    """client_credentials at django-oauth-toolkit's own token view, credentials in the body."""
    request = RequestFactory().post(
        "/oauth/token.php",
        {"grant_type": "client_credentials", "client_id": app.client_id, "client_secret": secret},
        secure=True,
    )
    response = TokenView.as_view()(request)
    return response.status_code, json.loads(response.content)


def issue_through_dot(app: App, user) -> None:
    """A client_credentials token, an authorization code, and an access + refresh token pair,
    each created by django-oauth-toolkit's own code paths."""
    status, body = token_request(app, app.client_secret)
    assert status == 200, body
    validator = Validator()
    request = OAuthRequest("https://testserver/oauth/authorize.php")
    request.client, request.user, request.scopes = app, user, ["read"]
    request.redirect_uri, request.grant_type = app.redirect_uri, "authorization_code"
    validator.save_authorization_code(app.client_id, {"code": f"code-{app.pk}"}, request)
    validator.save_bearer_token(
        {
            "access_token": f"at-{app.pk}",
            "refresh_token": f"rt-{app.pk}",
            "scope": "read",
            "expires_in": 3600,
        },
        request,
    )


@pytest.fixture
def trusted_apps(demo):
    return AppFactory(owner=demo["user"], trusted=True), AppFactory(owner=demo["user"], trusted=True)


def test_regenerate_revokes_every_token_and_code_of_the_app_only(demo, trusted_apps):
    app, other = trusted_apps
    for each in (app, other):
        issue_through_dot(each, demo["user"])
    assert AccessToken.objects.filter(application=app).count() == 2
    assert RefreshToken.objects.filter(application=app).count() == 1
    assert Grant.objects.filter(application=app).count() == 1
    old_secret = app.client_secret

    services.app_regenerate_secret(actor=demo["organization"], app=app, origin=ORIGIN)

    assert not AccessToken.objects.filter(application=app).exists()
    assert not RefreshToken.objects.filter(application=app).exists()
    assert not Grant.objects.filter(application=app).exists()
    assert AccessToken.objects.filter(application=other).count() == 2
    assert RefreshToken.objects.filter(application=other).count() == 1
    assert Grant.objects.filter(application=other).count() == 1
    event = AuditEvent.objects.get(action=AuditAction.REGENERATE_SECRET)
    assert event.details == {"refresh_tokens": 1, "access_tokens": 2, "authorization_codes": 1, "grants": 1}
    assert old_secret not in str(event.details)


def test_after_regenerate_the_new_secret_works_and_the_old_one_does_not(demo, trusted_apps):
    app, _ = trusted_apps
    old_secret = app.client_secret
    regenerated = services.app_regenerate_secret(actor=demo["user"], app=app, origin=ORIGIN)
    new_secret = App.objects.get(pk=app.pk).client_secret
    assert new_secret == regenerated.client_secret != old_secret

    assert token_request(app, old_secret) == (401, {"error": "invalid_client"})
    status, body = token_request(app, new_secret)
    assert status == 200 and body["token_type"] == "Bearer"


def test_a_wrong_secret_is_refused_by_the_token_view(trusted_apps):
    app, _ = trusted_apps
    assert token_request(app, app.client_secret[:-1] + "!")[0] == 401
    assert token_request(app, "")[0] == 401


def test_a_disabled_app_gets_no_token(demo, trusted_apps):
    app, _ = trusted_apps
    services.app_set_enabled(actor=demo["user"], app=app, enabled=False, origin=ORIGIN)
    status, _ = token_request(App.objects.get(pk=app.pk), app.client_secret)
    assert status != 200 and not AccessToken.objects.filter(application=app).exists()


def test_an_untrusted_app_gets_no_client_credentials_token(demo):
    app = AppFactory(owner=demo["user"], trusted=False)
    status, body = token_request(app, app.client_secret)
    assert (status, body["error"]) == (400, "unauthorized_client")


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_regenerate_with_100k_tokens_is_a_few_bulk_statements(demo, make_tokens, capsys):
    """Committed for real (no test transaction around it), so the deferred foreign-key checks
    at COMMIT are part of the time printed. The time is reported, not asserted."""
    app, other = AppFactory(owner=demo["user"]), AppFactory(owner=demo["user"])
    make_tokens(app, 100_000)
    make_tokens(other, 1_000)

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        services.app_regenerate_secret(actor=demo["organization"], app=app, origin=ORIGIN)
        elapsed = time.perf_counter() - started

    with capsys.disabled():
        print(f"\n[regenerate] 100k access + 100k refresh tokens: {elapsed:.3f} s, {len(queries)} statements")
    # BEGIN, the App locked (SELECT ... FOR UPDATE) and its UPDATE, the counts, the secrets'
    # UPDATE and INSERT, the secretless tokens' two DELETEs, the codes', the remembered
    # consents', the registration access token's UPDATE, the audit row, its notices' outbox row,
    # COMMIT: none grows with the tokens (nor, in apps_regenerate_secret, with the Apps).
    assert len(queries) <= 14
    # Refused at once (every read goes through the tokens' manager); the rows wait for the purge.
    assert not AccessToken.objects.filter(application=app).exists()
    assert not RefreshToken.objects.filter(application=app).exists()
    assert AccessToken.all_objects.filter(application=app).count() == 100_000
    assert AccessToken.objects.filter(application=other).count() == 1_000
    assert RefreshToken.objects.filter(application=other).count() == 1_000

    purged = services.purge_removed_secrets()

    assert (purged["access_tokens"], purged["refresh_tokens"], purged["secrets"]) == (100_000, 100_000, 1)
    assert not AccessToken.all_objects.filter(application=app).exists()
    assert not RefreshToken.all_objects.filter(application=app).exists()
    assert AccessToken.all_objects.filter(application=other).count() == 1_000
