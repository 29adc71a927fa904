"""app_add's outcomes, asked without a request (the portal form, the admin, the command line and
RFC 7591 registration map them to their own answers), and the entry points that share them."""

import io
import json

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.urls import reverse

from apps_registry import services
from apps_registry.crypto import generate_credential
from apps_registry.exceptions import ApiNotAllowed, AppLimitReached, DuplicateAppKey
from apps_registry.models import Api, App, AuditEvent
from apps_registry.services import AddOutcome
from tests.factories import AppFactory

ORIGIN = services.Origin(source="portal", ip_address="192.0.2.10")
FIELDS = {
    "api": Api.SYSTEMAPI,
    "name": "Calendar Sync",
    "homepage": "https://calendar.example/",
    "email": "dev@calendar.example",
    "redirect_uri": "https://calendar.example/oauth/callback",
}


def add(actor, owner, **overrides):
    return services.app_add(actor=actor, owner=owner, origin=ORIGIN, **(FIELDS | overrides))


def test_a_new_app_is_created_with_the_key_and_secret_shown(demo):
    key, secret = generate_credential(), generate_credential()
    added = add(demo["organization"], demo["organization"], client_id=key, client_secret=secret)
    assert added.outcome is AddOutcome.CREATED
    assert (added.app.client_id, added.app.client_secret) == (key, secret)
    assert App.objects.get() == added.app
    assert AuditEvent.objects.count() == 1


def test_the_shown_key_already_an_app_of_the_owner_is_the_same_request_sent_again(demo):
    org, key = demo["organization"], generate_credential()
    first = add(org, org, client_id=key, client_secret=generate_credential())
    again = add(org, org, client_id=key, client_secret=generate_credential())
    assert again.outcome is AddOutcome.SENT_ALREADY
    assert again.app == first.app
    assert App.objects.count() == 1 and AuditEvent.objects.count() == 1


def test_the_shown_key_taken_by_another_accounts_app_asks_for_a_new_one(demo):
    theirs = AppFactory(owner=demo["organization2"])
    added = add(demo["organization"], demo["organization"], client_id=theirs.client_id)
    assert added.outcome is AddOutcome.KEY_TAKEN and added.app is None
    assert App.objects.count() == 1


def test_a_twin_is_named_before_anything_is_written_where_a_person_confirms(demo):
    twin = AppFactory(owner=demo["organization"], name="calendar sync", redirect_uri=FIELDS["redirect_uri"])
    asked = add(demo["organization"], demo["organization"], confirm_twin=True)
    assert (asked.outcome, asked.app) == (AddOutcome.TWIN, twin)
    assert App.objects.count() == 1
    confirmed = add(demo["organization"], demo["organization"], confirm_twin=False)
    assert confirmed.outcome is AddOutcome.CREATED
    assert App.objects.count() == 2


@pytest.mark.parametrize(
    "other",
    [
        {"redirect_uri": "https://calendar.example/other"},
        {"name": "Calendar Sync 2"},
        {"api": Api.UNIFIEDAPI},
    ],
    ids=["another redirect URL", "another name", "another API"],
)
def test_an_app_that_differs_in_name_redirect_url_or_api_is_no_twin(demo, other):
    AppFactory(owner=demo["organization"], **(FIELDS | other))
    added = add(demo["organization"], demo["organization"], confirm_twin=True)
    assert added.outcome is AddOutcome.CREATED


def test_the_twin_question_is_asked_without_a_write(demo):
    twin = AppFactory(owner=demo["organization"], **FIELDS)
    checked = services.app_add_check(
        actor=demo["organization"],
        owner=demo["organization"],
        api=FIELDS["api"],
        name=FIELDS["name"],
        redirect_uri=FIELDS["redirect_uri"],
    )
    assert (checked.outcome, checked.app) == (AddOutcome.TWIN, twin)
    assert AuditEvent.objects.count() == 0


def test_a_generated_key_that_is_taken_is_replaced_by_a_new_one(demo, monkeypatch):
    taken = AppFactory(owner=demo["organization2"]).client_id
    keys = iter([taken, taken])
    real = services.adding.app_create

    def app_create(**kwargs):  # the first two keys the server generates are taken
        return real(**kwargs | {"client_id": kwargs["client_id"] or next(keys, None)})

    monkeypatch.setattr(services.adding, "app_create", app_create)
    added = add(demo["organization"], demo["organization"])
    assert added.outcome is AddOutcome.CREATED
    assert added.app.client_id != taken


def test_a_generated_key_taken_every_time_is_refused_after_a_few_tries(demo, monkeypatch):
    taken = AppFactory(owner=demo["organization2"]).client_id
    real = services.adding.app_create
    monkeypatch.setattr(services.adding, "app_create", lambda **kwargs: real(**kwargs | {"client_id": taken}))
    with pytest.raises(DuplicateAppKey):
        add(demo["organization"], demo["organization"])
    assert App.objects.count() == 1


def test_app_creates_rules_hold_through_app_add(demo, settings):
    with pytest.raises(ApiNotAllowed):
        add(demo["provider"], demo["provider"], api=Api.UNIFIEDAPI)
    with pytest.raises(PermissionDenied):
        add(demo["organization2"], demo["user"])
    settings.APP_LIMIT_PER_ACCOUNT = 0
    with pytest.raises(AppLimitReached):
        add(demo["user"], demo["user"])
    assert not App.objects.exists()


# --- the entry points -------------------------------------------------------------------------

ADMIN_ADD = "admin:apps_registry_app_add"


def admin_form(owner, **overrides) -> dict:
    form = {**FIELDS, "owner": owner.pk, "description": "", "image_uri": "", "phone": ""}
    return form | overrides


def test_the_admin_names_a_twin_first_then_adds_it_on_a_second_save(demo, client):
    twin = AppFactory(owner=demo["user"], **FIELDS)
    client.force_login(demo["admin"])

    warned = client.post(reverse(ADMIN_ADD), admin_form(demo["user"]))

    assert warned.status_code == 200
    page = warned.content.decode()
    assert f"user already has an App named “{twin.name}” with this redirect URL on SystemAPI" in page
    assert warned.context["adminform"].form["add_anyway"].value() == "1"
    assert App.objects.count() == 1
    saved = client.post(reverse(ADMIN_ADD), admin_form(demo["user"], add_anyway="1"))
    assert saved.status_code == 302
    assert App.objects.count() == 2


def test_the_command_line_adds_a_twin_without_asking(demo):
    AppFactory(owner=demo["organization"], **FIELDS)
    out = io.StringIO()
    call_command(
        "register_app",
        "--account=organization",
        f"--api={FIELDS['api']}",
        f"--name={FIELDS['name']}",
        f"--homepage={FIELDS['homepage']}",
        f"--email={FIELDS['email']}",
        f"--redirect-uri={FIELDS['redirect_uri']}",
        stdout=out,
    )
    assert App.objects.get(pk=json.loads(out.getvalue())["id"]).owner == demo["organization"]
    assert App.objects.count() == 2
