"""Each rule of design §3 through the command line and the Django admin (the services have their
own tests): the same refusal, a clear message, and nothing written."""

import io
import json

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse

from apps_registry.models import Api, App, AuditEvent, AuditSource
from tests.factories import AdministratorFactory, AppFactory
from tests.helpers import secrets_inline

CLI_ARGS = {
    "--api": "systemapi",
    "--name": "Calendar Sync",
    "--homepage": "https://calendar.example/",
    "--email": "dev@calendar.example",
    "--redirect-uri": "https://calendar.example/oauth/cb",
}


def register(account: str, **overrides) -> dict:
    args = CLI_ARGS | {f"--{k.replace('_', '-')}": v for k, v in overrides.items()}
    out = io.StringIO()
    call_command(
        "register_app", "--account", account, *[x for pair in args.items() for x in pair], stdout=out
    )
    return json.loads(out.getvalue())


# --- command line --------------------------------------------------------------------


def test_register_app_prints_the_credentials_as_json(demo):
    printed = register("organization", description="Syncs calendars", phone="+1 555 0100", image_uri="")
    app = App.objects.get(pk=printed["id"])
    assert printed == {"id": app.pk, "client_id": app.client_id, "client_secret": app.client_secret}
    assert (app.owner, app.api, app.name, app.trusted) == (
        demo["organization"],
        Api.SYSTEMAPI,
        "Calendar Sync",
        False,
    )
    assert AuditEvent.objects.get().source == AuditSource.CLI


def test_register_app_can_make_a_trusted_unifiedapi_app(demo):
    out = io.StringIO()
    call_command(
        "register_app",
        "--account=user",
        "--api=unifiedapi",
        "--trusted",
        *[f"{k}={v}" for k, v in CLI_ARGS.items() if k != "--api"],
        stdout=out,
    )
    app = App.objects.get(pk=json.loads(out.getvalue())["id"])
    assert app.trusted and app.api == Api.UNIFIEDAPI


def test_register_app_makes_an_administrators_app_a_resource_server(demo):
    out = io.StringIO()
    call_command(
        "register_app",
        "--account=admin",
        "--resource-server",
        *[f"{k}={v}" for k, v in CLI_ARGS.items()],
        stdout=out,
    )
    assert App.objects.get(pk=json.loads(out.getvalue())["id"]).resource_server


def test_register_app_refuses_a_resource_server_below_an_administrator(demo):
    with pytest.raises(CommandError, match=r"^resource_server_not_allowed: resource_server: Only an Admin"):
        call_command(
            "register_app",
            "--account=organization",
            "--resource-server",
            *[f"{k}={v}" for k, v in CLI_ARGS.items()],
            stdout=io.StringIO(),
        )
    assert not App.objects.exists()


def test_register_app_refuses_unifiedapi_for_a_service_provider(demo):
    with pytest.raises(CommandError, match=r"^unified_api_not_allowed: Service Provider accounts cannot own"):
        register("provider", api="unifiedapi")
    assert not App.objects.exists()


def test_register_app_stops_at_the_limit(demo, settings):
    settings.APP_LIMIT_PER_ACCOUNT = 2
    register("user")
    register("user")
    with pytest.raises(CommandError, match=r"^app_limit_reached: This account already owns 2 Apps"):
        register("user")
    assert App.objects.count() == 2


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ({"redirect_uri": "http://calendar.example/cb"}, "redirect_uri: Enter an absolute https:// URL."),
        ({"redirect_uri": "https://calendar.example/cb#x"}, "fragment: redirect_uri:"),
        ({"homepage": "calendar.example"}, "homepage: Enter an absolute http:// or https:// URL."),
        ({"email": "nobody"}, "email: Enter a valid email address."),
        ({"name": ""}, "blank: name: This field cannot be blank."),
        ({"phone": "ring ring"}, "invalid_phone: phone:"),
    ],
)
def test_register_app_names_each_bad_field(override, expected, demo):
    with pytest.raises(CommandError) as error:
        register("user", **override)
    assert expected in str(error.value)
    assert not App.objects.exists()


def test_register_app_exits_non_zero_with_the_error_on_stderr(demo, capsys):
    """As a shell user sees it: `manage.py register_app` exits 1 and prints the code."""
    from django.core.management import ManagementUtility

    utility = ManagementUtility(["manage.py", "register_app", "--account", "provider", "--api", "unifiedapi"])
    utility.argv += [x for pair in CLI_ARGS.items() if pair[0] != "--api" for x in pair]
    with pytest.raises(SystemExit) as exit_:
        utility.execute()
    assert exit_.value.code == 1
    assert "unified_api_not_allowed" in capsys.readouterr().err


def test_register_app_for_an_unknown_account(demo):
    with pytest.raises(CommandError, match="account_not_found"):
        register("nobody")


def test_register_app_refuses_an_unknown_api(demo):
    with pytest.raises(CommandError, match="invalid choice"):
        register("user", api="soap")


# --- Django admin --------------------------------------------------------------------

ADD = "admin:apps_registry_app_add"


def admin_form(owner, **overrides) -> dict:
    form = {
        "owner": owner.pk,
        "api": Api.SYSTEMAPI,
        "name": "Admin App",
        "description": "",
        "homepage": "https://admin-app.example/",
        "image_uri": "",
        "email": "dev@admin-app.example",
        "phone": "",
        "redirect_uri": "https://admin-app.example/cb",
    }
    return form | overrides


def test_admin_creates_an_app_through_the_service(demo, client):
    client.force_login(demo["admin"])
    response = client.post(reverse(ADD), admin_form(demo["user"], trusted="on"))
    assert response.status_code == 302
    app = App.objects.get()
    assert (app.owner, app.trusted, app.enabled) == (demo["user"], True, True)
    assert len(app.client_secret) == 32
    event = AuditEvent.objects.get()
    assert (event.source, event.actor, event.ip_address) == (AuditSource.ADMIN, demo["admin"], "127.0.0.1")


def test_admin_refuses_unifiedapi_for_a_service_provider_beside_the_field(demo, client):
    client.force_login(demo["admin"])
    response = client.post(reverse(ADD), admin_form(demo["provider"], api=Api.UNIFIEDAPI))
    assert response.status_code == 200
    assert (
        "Service Provider accounts cannot own UnifiedAPI Apps."
        in response.context["adminform"].form.errors["api"]
    )
    assert not App.objects.exists()


def test_admin_stops_at_the_limit(demo, client, settings):
    settings.APP_LIMIT_PER_ACCOUNT = 1
    AppFactory(owner=demo["user"])
    client.force_login(demo["admin"])
    response = client.post(reverse(ADD), admin_form(demo["user"]))
    assert response.status_code == 200
    assert "already owns 1 Apps" in str(response.context["adminform"].form.non_field_errors())
    assert App.objects.count() == 1


def test_admin_reports_bad_fields_beside_them(demo, client):
    client.force_login(demo["admin"])
    response = client.post(
        reverse(ADD), admin_form(demo["user"], redirect_uri="http://x.example/cb", homepage="nope", email="x")
    )
    errors = response.context["adminform"].form.errors
    assert {"redirect_uri", "homepage", "email"} <= set(errors)
    assert not App.objects.exists()


def test_admin_offers_only_owners_in_reach(demo, client):
    rival = AdministratorFactory()
    client.force_login(demo["admin"])
    response = client.post(reverse(ADD), admin_form(rival))
    assert "owner" in response.context["adminform"].form.errors
    assert not App.objects.exists()


def test_admin_edit_goes_through_the_service_and_is_audited(demo, client):
    app = AppFactory(owner=demo["user"], name="Before")
    client.force_login(demo["admin"])
    form = {**admin_form(demo["user"], name="After", enabled=""), **secrets_inline(app)}
    del form["owner"], form["api"]
    response = client.post(reverse("admin:apps_registry_app_change", args=[app.pk]), form)
    assert response.status_code == 302
    app.refresh_from_db()
    assert (app.name, app.enabled) == ("After", False)
    assert sorted(AuditEvent.objects.values_list("action", flat=True)) == ["disable", "update"]


def test_admin_remove_action_deletes_apps_and_tokens_through_the_service(demo, client, make_tokens):
    apps = [AppFactory(owner=demo["user"]) for _ in range(2)]
    make_tokens(apps[0], 3)
    client.force_login(demo["admin"])
    response = client.post(
        reverse("admin:apps_registry_app_changelist"),
        {"action": "remove_selected", "_selected_action": [a.pk for a in apps]},
    )
    assert response.status_code == 302
    assert not App.objects.exists()
    assert AuditEvent.objects.filter(action="remove").count() == 2


def test_admin_lists_and_opens_only_apps_in_reach(demo, client):
    mine, theirs = (
        AppFactory(owner=demo["user"], name="Mine"),
        AppFactory(owner=AdministratorFactory(), name="Theirs"),
    )
    client.force_login(demo["provider"])  # not staff: no admin at all
    assert client.get(reverse("admin:apps_registry_app_changelist")).status_code == 302
    client.force_login(demo["organization2"])
    client.force_login(demo["admin"])
    page = client.get(reverse("admin:apps_registry_app_changelist")).content.decode()
    assert "Mine" in page and "Theirs" not in page
    response = client.get(reverse("admin:apps_registry_app_change", args=[theirs.pk]))
    assert response.status_code == 404 and theirs.name not in response.content.decode()
    assert mine.client_secret not in page


def test_admin_view_on_site_for_an_app_out_of_reach_is_a_404(demo, client):
    content_type = ContentType.objects.get_for_model(App)
    theirs = AppFactory(owner=AdministratorFactory())
    mine = AppFactory(owner=demo["user"])
    client.force_login(demo["admin"])
    assert client.get(reverse("admin:view_on_site", args=[content_type.pk, theirs.pk])).status_code == 404
    response = client.get(reverse("admin:view_on_site", args=[content_type.pk, mine.pk]))
    assert response.status_code == 302 and response["Location"] == mine.get_absolute_url()


def test_admin_turns_a_refusal_at_save_time_into_a_message_not_a_500(demo, client, monkeypatch):
    """A create that loses the race for the last place is refused inside the service, after
    the form was valid: the admin says so and nothing is written."""

    def lost_the_race(**kwargs):
        App.objects.create(owner=kwargs["owner"], api=kwargs["api"])  # rolled back
        raise ValidationError("This account already owns 1000 Apps.", code="app_limit_reached")

    monkeypatch.setattr("apps_registry.services.app_add", lost_the_race)
    client.force_login(demo["admin"])
    response = client.post(reverse(ADD), admin_form(demo["user"]), follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[0][0] == reverse(ADD)
    assert "This account already owns 1000 Apps." in [str(m) for m in response.context["messages"]]
    assert not App.objects.exists()
