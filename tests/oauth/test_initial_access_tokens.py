"""RFC 7591 registration with an initial access token (design §6.1): the token's life (portal
page, admin, command line, audit) and the rules an App registered with it keeps."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccountEvent
from apps_registry.models import App, AuditEvent, ClientRegistration, InitialAccessToken
from oauth.audit import OAuthAccountAction
from oauth.services import initial_access_token_create, initial_access_token_revoke
from oauth.validator import checksum
from portal.audit import Origin
from tests.factories import AppFactory

pytestmark = pytest.mark.django_db

REGISTER = "/oauth/register"
ORIGIN = Origin(source="portal", ip_address="192.0.2.1")


def metadata(**changes) -> dict:
    body = {
        "client_name": "Calendar Sync",
        "redirect_uris": ["https://calendar.example/cb"],
        "client_uri": "https://calendar.example/",
        "logo_uri": "https://calendar.example/logo.png",
        "contacts": ["dev@calendar.example", "ops@calendar.example"],
        "scope": "systemapi",
    }
    body.update(changes)
    return {key: value for key, value in body.items() if value is not None}


def register(client, body, token: str | None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(REGISTER, data=data, content_type="application/json", secure=True, **headers)


def make_token(account, *, uses: int = 5, days: int = 7, actor=None) -> str:
    return initial_access_token_create(
        actor=actor or account,
        account=account,
        name="ci",
        expires=timezone.now() + timedelta(days=days),
        max_uses=uses,
        origin=ORIGIN,
    )[1]


# --- Registering with one --------------------------------------------------------------------


def test_confidential_client_registers_to_the_tokens_account(client, demo):
    token = make_token(demo["user"])
    response = register(client, metadata(unknown="ignored", jwks={"keys": []}), token)
    assert response.status_code == 201, response.content
    body = response.json()
    app = App.objects.get(client_id=body["client_id"])
    assert app.owner == demo["user"] and not app.is_public and app.api == "systemapi"
    assert body["client_secret"] == app.client_secret and len(body["client_secret"]) == 32
    assert len(body["client_id"]) == 32 and body["client_secret_expires_at"] == 0
    assert body["token_endpoint_auth_method"] == "client_secret_basic"
    assert body["contacts"] == ["dev@calendar.example", "ops@calendar.example"]
    assert app.email == "dev@calendar.example" and app.homepage == "https://calendar.example/"
    assert app.image_uri == "https://calendar.example/logo.png"
    assert "unknown" not in body and "jwks" not in body
    assert InitialAccessToken.objects.get().uses == 1
    registration = ClientRegistration.objects.get(app=app)
    assert not registration.open_registration and registration.initial_access_token is not None
    assert app.unused_expires is None  # only open-registered Apps expire unused
    assert AuditEvent.objects.get(app=app).source == "registration"


def test_the_token_is_stored_as_a_checksum_only(demo):
    token = make_token(demo["user"])
    stored = InitialAccessToken.objects.get()
    assert stored.token_checksum == checksum(token)
    assert token not in json.dumps(list(InitialAccessToken.objects.values()), default=str)
    event = AccountEvent.objects.get(action=OAuthAccountAction.IAT_CREATE)
    assert token not in json.dumps(event.details)


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(
            lambda iat: iat.__class__.objects.filter(pk=iat.pk).update(revoked=timezone.now()), id="revoked"
        ),
        pytest.param(
            lambda iat: iat.__class__.objects.filter(pk=iat.pk).update(expires=timezone.now()), id="expired"
        ),
        pytest.param(lambda iat: iat.__class__.objects.filter(pk=iat.pk).update(uses=5), id="used-up"),
    ],
)
def test_an_unusable_token_registers_nothing(client, demo, spoil):
    token = make_token(demo["user"])
    spoil(InitialAccessToken.objects.get())
    response = register(client, metadata(), token)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    assert response.json()["error"] == "invalid_token"
    assert not App.objects.exists() and not ClientRegistration.objects.exists()


def test_a_token_is_used_up_after_its_uses(client, demo):
    token = make_token(demo["user"], uses=1)
    assert register(client, metadata(), token).status_code == 201
    assert register(client, metadata(), token).status_code == 401
    assert App.objects.count() == 1


def test_wrong_token_or_scheme_is_401(client, demo):
    make_token(demo["user"])
    assert register(client, metadata(), "iat_wrong").status_code == 401
    basic = client.post(
        REGISTER,
        json.dumps(metadata()),
        content_type="application/json",
        secure=True,
        HTTP_AUTHORIZATION="Basic eA==",
    )
    assert basic.status_code == 401 and basic["WWW-Authenticate"].startswith("Bearer")


def test_a_deactivated_accounts_token_registers_nothing(client, demo):
    token = make_token(demo["user"])
    type(demo["user"]).objects.filter(pk=demo["user"].pk).update(is_active=False)
    assert register(client, metadata(), token).status_code == 401


def test_service_provider_gets_no_unifiedapi_app(client, demo):
    token = make_token(demo["provider"])
    response = register(client, metadata(scope="unifiedapi"), token)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_client_metadata"
    assert "Service Provider" in response.json()["error_description"]
    assert not App.objects.exists() and InitialAccessToken.objects.get().uses == 0


def test_the_account_limit_holds(client, demo, settings):
    settings.APP_LIMIT_PER_ACCOUNT = 1
    AppFactory(owner=demo["user"])
    token = make_token(demo["user"])
    response = register(client, metadata(), token)
    assert response.status_code == 400 and "already owns 1 Apps" in response.json()["error_description"]
    assert InitialAccessToken.objects.get().uses == 0


@pytest.mark.parametrize(
    ("body", "error", "says"),
    [
        ("{not json", "invalid_client_metadata", "not valid JSON"),
        (b"\xff\xfe", "invalid_client_metadata", "not valid JSON"),
        ("[]", "invalid_client_metadata", "JSON object"),
        (metadata(client_name=None), "invalid_client_metadata", "client_name is required"),
        (metadata(client_name=7), "invalid_client_metadata", "client_name must be a string"),
        (metadata(redirect_uris="https://a.example/cb"), "invalid_client_metadata", "array of strings"),
        (metadata(redirect_uris=[]), "invalid_redirect_uri", "at least one"),
        (metadata(redirect_uris=["http://calendar.example/cb"]), "invalid_redirect_uri", "https://"),
        (metadata(redirect_uris=["https://calendar.example/cb#x"]), "invalid_redirect_uri", "fragment"),
        (metadata(redirect_uris=["https://u:p@calendar.example/cb"]), "invalid_redirect_uri", "user name"),
        (
            metadata(redirect_uris=["https://a.example/cb", "https://b.example/cb#f"]),
            "invalid_redirect_uri",
            "fragment",
        ),
        (
            metadata(redirect_uris=[f"https://a.example/{i}" for i in range(11)]),
            "invalid_redirect_uri",
            "At most 10",
        ),
        (metadata(redirect_uris=["https://a.example/cb"] * 2), "invalid_redirect_uri", "twice"),
        (metadata(grant_types=["client_credentials"]), "invalid_client_metadata", "client_credentials"),
        (metadata(grant_types=["refresh_token"]), "invalid_client_metadata", "authorization_code"),
        (metadata(response_types=["token"]), "invalid_client_metadata", "response_types token"),
        (metadata(token_endpoint_auth_method="private_key_jwt"), "invalid_client_metadata", "not supported"),
        (metadata(scope="systemapi unifiedapi"), "invalid_client_metadata", "one per App"),
        (metadata(scope="openid"), "invalid_client_metadata", "scope must be"),
        (metadata(contacts=["not an address"]), "invalid_client_metadata", "contacts"),
        (metadata(client_uri="ftp://calendar.example/"), "invalid_client_metadata", "client_uri"),
        (metadata(logo_uri="javascript:alert(1)"), "invalid_client_metadata", "logo_uri"),
        (metadata(client_name="x" * 300), "invalid_client_metadata", "client_name"),
    ],
)
def test_bad_metadata_is_refused_with_nothing_written(client, demo, body, error, says):
    token = make_token(demo["user"])
    response = register(client, body, token)
    assert response.status_code == 400, response.content
    assert response.json()["error"] == error
    assert says in response.json()["error_description"]
    assert not App.objects.exists() and not ClientRegistration.objects.exists()
    assert InitialAccessToken.objects.get().uses == 0


def test_a_body_that_is_not_json_or_too_large_is_refused(client, demo):
    token = make_token(demo["user"])
    form = client.post(REGISTER, {"client_name": "x"}, secure=True, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert form.status_code == 400 and "application/json" in form.json()["error_description"]
    huge = register(client, metadata(padding="x" * 20_000), token)
    assert huge.status_code == 413 and huge.json()["error"] == "invalid_client_metadata"
    assert not App.objects.exists()


def test_plain_http_is_refused(client, demo, settings):
    settings.OAUTH_ALLOW_LOOPBACK_HTTP = False
    token = make_token(demo["user"])
    response = client.post(
        REGISTER,
        json.dumps(metadata()),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 403 and response.json()["error"] == "invalid_request"


def test_registration_is_csrf_exempt(demo):
    from django.test import Client

    token = make_token(demo["user"])
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(
        REGISTER, json.dumps(metadata()), content_type="application/json", secure=True,
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )  # fmt: skip
    assert response.status_code == 201


# --- The services -------------------------------------------------------------------------------


def test_nobody_creates_a_token_for_an_account_out_of_reach(demo):
    with pytest.raises(PermissionDenied):
        make_token(demo["user2"], actor=demo["user"])
    assert not InitialAccessToken.objects.exists()


@pytest.mark.parametrize(("days", "uses"), [(0, 1), (91, 1), (7, 0), (7, 1001)])
def test_expiry_and_uses_are_bounded(demo, days, uses):
    with pytest.raises(ValidationError):
        make_token(demo["user"], days=days, uses=uses)
    assert not InitialAccessToken.objects.exists() and not AccountEvent.objects.exists()


def test_revoke_is_audited_once(demo):
    make_token(demo["user"])
    iat = InitialAccessToken.objects.get()
    initial_access_token_revoke(actor=demo["organization"], token=iat, origin=ORIGIN)
    initial_access_token_revoke(actor=demo["organization"], token=iat, origin=ORIGIN)
    assert AccountEvent.objects.filter(action=OAuthAccountAction.IAT_REVOKE).count() == 1
    with pytest.raises(PermissionDenied):
        initial_access_token_revoke(actor=demo["user2"], token=iat, origin=ORIGIN)


# --- The portal page, the admin, the command line ------------------------------------------------


def test_portal_page_creates_shows_once_and_revokes(client, demo):
    client.force_login(demo["organization"])
    url = reverse("oauth:initial_access_tokens", args=[demo["user"].pk])
    created = client.post(url, {"name": "MCP clients", "days": "3", "max_uses": "2"})
    assert created.status_code == 200
    token = created.context["created_token"]
    assert token.startswith("iat_") and token in created.content.decode()
    assert "no-store" in created["Cache-Control"]
    listed = client.get(url)
    assert "MCP clients" in listed.content.decode() and token not in listed.content.decode()
    iat = InitialAccessToken.objects.get()
    assert iat.account == demo["user"] and iat.created_by == demo["organization"] and iat.max_uses == 2
    revoke_url = reverse("oauth:initial_access_token_revoke", args=[demo["user"].pk, iat.pk])
    assert client.get(revoke_url).status_code == 200
    assert client.post(revoke_url).status_code == 302
    iat.refresh_from_db()
    assert iat.revoked is not None
    # Both events show on the account's audit trail.
    trail = client.get(reverse("apps_registry:audit", args=[demo["user"].pk])).content.decode()
    assert "Initial access token created" in trail and "Initial access token revoked" in trail


def test_portal_page_refuses_bad_values_beside_the_field(client, demo):
    client.force_login(demo["user"])
    url = reverse("oauth:initial_access_tokens", args=[demo["user"].pk])
    response = client.post(url, {"name": "", "days": "365", "max_uses": "0"})
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"name", "days", "max_uses"}
    assert not InitialAccessToken.objects.exists()


def test_portal_pages_are_404_out_of_reach(client, demo):
    make_token(demo["user"])
    iat = InitialAccessToken.objects.get()
    client.force_login(demo["user2"])
    assert client.get(reverse("oauth:initial_access_tokens", args=[demo["user"].pk])).status_code == 404
    revoke_url = reverse("oauth:initial_access_token_revoke", args=[demo["user"].pk, iat.pk])
    assert client.post(revoke_url).status_code == 404
    assert client.post(reverse("oauth:initial_access_tokens", args=[demo["user"].pk]), {}).status_code == 404
    iat.refresh_from_db()
    assert iat.revoked is None


def test_the_apps_page_links_to_the_tokens(client, demo):
    client.force_login(demo["user"])
    page = client.get(reverse("apps_registry:list", args=[demo["user"].pk]))
    assert reverse("oauth:initial_access_tokens", args=[demo["user"].pk]) in page.content.decode()


def test_admin_lists_and_revokes_without_showing_the_token(client, demo):
    token = make_token(demo["user"])
    client.force_login(demo["admin"])
    changelist = client.get(reverse("admin:apps_registry_initialaccesstoken_changelist"))
    assert changelist.status_code == 200 and "ci" in changelist.content.decode()
    assert token not in changelist.content.decode()
    iat = InitialAccessToken.objects.get()
    response = client.post(
        reverse("admin:apps_registry_initialaccesstoken_changelist"),
        {"action": "revoke_selected", "_selected_action": [iat.pk]},
    )
    assert response.status_code == 302
    iat.refresh_from_db()
    assert iat.revoked is not None
    assert AccountEvent.objects.get(action=OAuthAccountAction.IAT_REVOKE).source == "admin"


def test_command_prints_the_token_once(client, demo):
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "create_initial_access_token",
        "--account",
        "user",
        "--name",
        "ci",
        "--uses",
        "2",
        stdout=out,
        stderr=err,
    )
    token = out.getvalue().strip()
    assert InitialAccessToken.objects.get().token_checksum == checksum(token)
    assert token not in err.getvalue()
    assert AccountEvent.objects.get(action=OAuthAccountAction.IAT_CREATE).source == "cli"
    assert register(client, metadata(), token).status_code == 201
    with pytest.raises(CommandError):
        call_command("create_initial_access_token", "--account", "nobody", "--name", "x", stdout=out)
    with pytest.raises(CommandError):
        call_command(
            "create_initial_access_token", "--account", "user", "--name", "x", "--days", "0", stdout=out
        )
