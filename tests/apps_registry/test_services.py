import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from apps_registry import services
from apps_registry.crypto import CREDENTIAL_ALPHABET, is_credential
from apps_registry.models import AccessToken, Api, App, AuditAction, AuditEvent
from tests.factories import AppFactory

ORIGIN = services.Origin(source="portal", ip_address="192.0.2.10")


def app_fields(**overrides) -> dict:
    fields = {
        "api": Api.SYSTEMAPI,
        "name": "Google Apps",
        "homepage": "https://apps.example/",
        "email": "dev@apps.example",
        "redirect_uri": "https://apps.example/oauth/callback",
    }
    return fields | overrides


def create(actor, owner, **overrides) -> App:
    return services.app_create(actor=actor, owner=owner, origin=ORIGIN, **app_fields(**overrides))


def error_codes(error: ValidationError) -> dict:
    if hasattr(error, "error_dict"):
        return {field: [e.code for e in errors] for field, errors in error.error_dict.items()}
    return {None: [e.code for e in error.error_list]}


def test_app_create_generates_key_and_secret_and_audits(demo):
    app = create(demo["organization"], demo["organization"], description="Calendar sync", phone="+1 555 0100")
    assert is_credential(app.client_id) and is_credential(app.client_secret)
    assert app.client_id != app.client_secret
    assert not app.trusted and app.enabled
    assert set(app.client_id + app.client_secret) <= set(CREDENTIAL_ALPHABET)
    event = AuditEvent.objects.get()
    assert (event.actor, event.account, event.app, event.action) == (
        demo["organization"],
        demo["organization"],
        app,
        AuditAction.CREATE,
    )
    assert (event.source, event.ip_address) == ("portal", "192.0.2.10")
    assert app.client_secret not in str(event.details)


def test_a_parent_creates_apps_for_accounts_below_it(demo):
    app = create(demo["admin"], demo["user"])
    assert app.owner == demo["user"]
    assert AuditEvent.objects.get().actor == demo["admin"]


def test_app_create_refuses_an_owner_out_of_reach(demo):
    with pytest.raises(PermissionDenied):
        create(demo["organization2"], demo["user"])
    with pytest.raises(PermissionDenied):
        create(demo["user"], demo["organization"])  # upwards
    assert not App.objects.exists() and not AuditEvent.objects.exists()


def test_service_provider_cannot_create_unifiedapi_app(demo):
    with pytest.raises(ValidationError) as error:
        create(demo["provider"], demo["provider"], api=Api.UNIFIEDAPI)
    assert error_codes(error.value) == {None: ["unified_api_not_allowed"]}
    assert not App.objects.exists()
    # Even when its Administrator asks; SystemAPI is fine.
    with pytest.raises(ValidationError):
        create(demo["admin"], demo["provider"], api=Api.UNIFIEDAPI)
    assert create(demo["provider"], demo["provider"], api=Api.SYSTEMAPI).api == Api.SYSTEMAPI


@pytest.mark.parametrize("persona", ["admin", "organization", "user"])
def test_other_kinds_may_own_unifiedapi_apps(persona, demo):
    assert create(demo[persona], demo[persona], api=Api.UNIFIEDAPI).api == Api.UNIFIEDAPI


def test_the_app_limit_is_per_account_and_read_at_call_time(demo, settings):
    settings.APP_LIMIT_PER_ACCOUNT = 2
    owner = demo["organization"]
    create(owner, owner)
    create(owner, owner, api=Api.UNIFIEDAPI)  # both APIs count
    with pytest.raises(ValidationError) as error:
        create(owner, owner, name="Third")
    assert error_codes(error.value) == {None: ["app_limit_reached"]}
    assert "2 Apps" in error.value.messages[0]
    assert App.objects.filter(owner=owner).count() == 2
    assert AuditEvent.objects.count() == 2
    create(demo["user"], demo["user"])  # another account has its own limit
    settings.APP_LIMIT_PER_ACCOUNT = 3
    create(owner, owner, name="Third")


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("name", "", "blank"),
        ("name", "x" * 256, "max_length"),
        ("name", "Line\nbreak", "control_characters"),
        ("description", "x" * 1001, "max_length"),
        ("description", "nul\x00byte", "control_characters"),
        ("homepage", "", "blank"),
        ("homepage", "apps.example", "invalid"),
        ("homepage", "ftp://apps.example/", "invalid"),
        ("homepage", "javascript:alert(1)", "invalid"),
        ("image_uri", "/relative.png", "invalid"),
        ("email", "", "blank"),
        ("email", "not-an-address", "invalid"),
        ("phone", "call me", "invalid_phone"),
        ("redirect_uri", "", "blank"),
        ("redirect_uri", "http://apps.example/cb", "invalid"),
        ("redirect_uri", "https://apps.example/cb#fragment", "fragment"),
        ("redirect_uri", "https://user:pw@apps.example/cb", "userinfo"),
        ("redirect_uri", "/cb", "invalid"),
        ("redirect_uri", "https://apps.example/c b", "invalid"),
        ("api", "soap", "invalid_choice"),
    ],
)
def test_app_create_reports_each_bad_field_and_writes_nothing(field, value, code, demo):
    with pytest.raises(ValidationError) as error:
        create(demo["organization"], demo["organization"], **{field: value})
    assert code in error_codes(error.value)[field]
    assert error.value.message_dict[field][0]  # a readable message
    assert not App.objects.exists() and not AuditEvent.objects.exists()


def test_app_create_reports_every_bad_field_at_once(demo):
    with pytest.raises(ValidationError) as error:
        create(demo["user"], demo["user"], name="", email="x", redirect_uri="http://x.example/")
    assert {"name", "email", "redirect_uri"} <= set(error.value.message_dict)


@pytest.mark.parametrize(
    "redirect_uri",
    ["https://apps.example/cb", "https://apps.example:8443/oauth/cb?tenant=7", "https://127.0.0.1/cb"],
)
def test_https_redirect_urls_are_accepted(redirect_uri, demo):
    assert create(demo["user"], demo["user"], redirect_uri=redirect_uri).redirect_uris == redirect_uri


def test_app_create_accepts_a_shown_key_and_secret_of_the_right_shape(demo):
    key = "5~2wKMPg9h~GExN3s01-7wX2XmLI_Xbz"  # the example of design §3
    app = create(demo["user"], demo["user"], client_id=key, client_secret="s" * 32)
    assert app.client_id == key and app.check_secret("s" * 32)
    with pytest.raises(ValidationError) as error:
        create(demo["user"], demo["user"], client_secret="short")
    assert "client_secret" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        create(demo["user"], demo["user"], client_id=key)  # taken
    assert error_codes(error.value)["client_id"] == ["unique"]


def test_app_update_changes_fields_and_records_which(demo):
    app = AppFactory(owner=demo["user"])
    services.app_update(
        actor=demo["organization"], app=app, origin=ORIGIN, name="Renamed", trusted=True, email=app.email
    )
    app.refresh_from_db()
    assert (app.name, app.trusted) == ("Renamed", True)
    event = AuditEvent.objects.get()
    assert event.action == AuditAction.UPDATE and event.details == {"fields": ["name", "trusted"]}


def test_app_update_refuses_bad_values_and_keeps_the_old_ones(demo):
    app = AppFactory(owner=demo["user"], redirect_uri="https://app.example/cb")
    with pytest.raises(ValidationError):
        services.app_update(actor=demo["user"], app=app, origin=ORIGIN, redirect_uri="http://app.example/cb")
    app.refresh_from_db()
    assert app.redirect_uri == "https://app.example/cb"
    assert not AuditEvent.objects.exists()


def test_app_update_cannot_touch_the_api_or_the_owner(demo):
    app = AppFactory(owner=demo["user"])
    with pytest.raises(TypeError):
        services.app_update(actor=demo["user"], app=app, origin=ORIGIN, api=Api.UNIFIEDAPI)
    with pytest.raises(TypeError):
        services.app_update(actor=demo["user"], app=app, origin=ORIGIN, owner=demo["admin"])


@pytest.mark.parametrize(
    "call",
    [
        lambda actor, app: services.app_update(actor=actor, app=app, origin=ORIGIN, name="x"),
        lambda actor, app: services.app_reveal_secret(actor=actor, app=app, origin=ORIGIN),
        lambda actor, app: services.app_regenerate_secret(actor=actor, app=app, origin=ORIGIN),
        lambda actor, app: services.app_revoke_tokens(actor=actor, app=app, origin=ORIGIN),
        lambda actor, app: services.app_set_enabled(actor=actor, app=app, enabled=False, origin=ORIGIN),
        lambda actor, app: services.app_remove(actor=actor, app=app, origin=ORIGIN),
    ],
    ids=["update", "reveal", "regenerate", "revoke", "disable", "remove"],
)
def test_every_service_refuses_an_app_out_of_reach(call, demo):
    app = AppFactory(owner=demo["user"])
    secret = app.client_secret
    for outsider in (demo["organization2"], demo["user2"]):
        with pytest.raises(PermissionDenied):
            call(outsider, app)
    app.refresh_from_db()
    assert (app.name, app.enabled, app.client_secret) != ("x", False, None)
    assert app.check_secret(secret)
    assert not AuditEvent.objects.exists()


def test_revealing_the_secret_is_audited(demo):
    app = AppFactory(owner=demo["user"])
    assert services.app_reveal_secret(actor=demo["admin"], app=app, origin=ORIGIN) == app.client_secret
    event = AuditEvent.objects.get()
    assert (event.action, event.actor) == (AuditAction.REVEAL_SECRET, demo["admin"])
    assert app.client_secret not in str(event.details)


def test_disable_and_enable_an_app(demo):
    app = AppFactory(owner=demo["user"])
    services.app_set_enabled(actor=demo["user"], app=app, enabled=False, origin=ORIGIN)
    app.refresh_from_db()
    assert not app.enabled and not app.is_usable(None)
    services.app_set_enabled(actor=demo["user"], app=app, enabled=False, origin=ORIGIN)  # no change, no row
    services.app_set_enabled(actor=demo["user"], app=app, enabled=True, origin=ORIGIN)
    app.refresh_from_db()
    assert app.enabled and app.is_usable(None)
    assert list(AuditEvent.objects.order_by("pk").values_list("action", flat=True)) == ["disable", "enable"]


def test_only_trusted_apps_may_use_client_credentials(demo):
    app = AppFactory(owner=demo["user"])
    assert app.allows_grant_type(App.GRANT_AUTHORIZATION_CODE)
    assert not app.allows_grant_type(App.GRANT_CLIENT_CREDENTIALS)
    app.trusted = True
    assert app.allows_grant_type(App.GRANT_CLIENT_CREDENTIALS)
    assert not app.allows_grant_type(App.GRANT_PASSWORD, App.GRANT_IMPLICIT)


def test_revoking_selected_tokens_keeps_the_others(demo, make_tokens):
    app = AppFactory(owner=demo["user"])
    tokens = make_tokens(app, 3)
    revoked = services.app_revoke_tokens(
        actor=demo["user"], app=app, origin=ORIGIN, access_token_ids=[tokens[0].pk, tokens[1].pk]
    )
    assert revoked == {"refresh_tokens": 2, "access_tokens": 2}
    assert list(AccessToken.objects.values_list("pk", flat=True)) == [tokens[2].pk]
    assert AuditEvent.objects.get().details == revoked


def test_remove_deletes_the_app_and_its_tokens_but_keeps_its_audit_trail(demo, make_tokens):
    app, other = AppFactory(owner=demo["user"]), AppFactory(owner=demo["user"])
    make_tokens(app, 3)
    make_tokens(other, 2)
    revoked = services.app_remove(actor=demo["organization"], app=app, origin=ORIGIN)
    assert revoked["access_tokens"] == 3 and revoked["refresh_tokens"] == 3
    assert not App.objects.filter(pk=app.pk).exists()
    assert AccessToken.objects.filter(application=other).count() == 2
    event = AuditEvent.objects.get(action=AuditAction.REMOVE)
    assert (event.app, event.app_name, event.app_client_id) == (None, app.name, app.client_id)


@pytest.mark.parametrize(
    "call",
    [
        lambda actor, app: services.app_regenerate_secret(actor=actor, app=app, origin=ORIGIN),
        lambda actor, app: services.app_revoke_tokens(actor=actor, app=app, origin=ORIGIN),
        lambda actor, app: services.app_remove(actor=actor, app=app, origin=ORIGIN),
        lambda actor, app: services.app_update(actor=actor, app=app, origin=ORIGIN, name="x"),
        lambda actor, app: services.app_set_enabled(actor=actor, app=app, enabled=False, origin=ORIGIN),
    ],
    ids=["regenerate", "revoke", "remove", "update", "disable"],
)
def test_a_service_on_an_app_removed_meanwhile_raises_does_not_exist(call, demo):
    app = AppFactory(owner=demo["user"])
    App.objects.filter(pk=app.pk).delete()
    with pytest.raises(App.DoesNotExist):
        call(demo["user"], app)
    assert not AuditEvent.objects.exists()
