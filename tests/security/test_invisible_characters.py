"""Names and descriptions refuse Unicode format characters and line and paragraph separators
(categories Cf, Zl, Zp) as they refuse control characters (issue 27, accounts/validators.py):
U+202E turns "abc\u202egnp.exe" into "abcexe.png" on the consent page and in mail. Seen through
every entry point that takes such text: the App services (and so the portal's forms and the
Django admin), register.php, RFC 7591 registration, account names, initial access tokens."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import Account, Kind
from accounts.validators import validate_single_line, validate_text
from apps_registry import services
from apps_registry.models import Api, App, InitialAccessToken
from portal.audit import COMMAND_LINE
from tests.helpers import child_form
from tests.oauth.test_initial_access_tokens import make_token

pytestmark = pytest.mark.django_db

# One of each kind: the bidirectional overrides and isolates, zero-width characters, the soft
# hyphen, the byte-order mark, the line and the paragraph separator.
INVISIBLE = {
    "right-to-left override": "abc\u202egnp.exe",
    "left-to-right isolate": "App \u2066x",
    "zero-width space": "Pay\u200bPal",
    "zero-width joiner": "a\u200db",
    "soft hyphen": "Sign\u00adin",
    "byte-order mark": "\ufeffCalendar",
    "line separator": "one\u2028two",
    "paragraph separator": "one\u2029two",
}
# What stays allowed: letters of every script, accents, emoji, ordinary and no-break spaces.
ALLOWED = ["Calendar Sync", "Écritures · 日本語 · עברית", "Sales 📞", "A\u00a0B", "Tab\tin text"]


@pytest.mark.parametrize("value", INVISIBLE.values(), ids=INVISIBLE.keys())
@pytest.mark.parametrize("validate", [validate_single_line, validate_text])
def test_each_invisible_character_is_refused_naming_it(validate, value):
    with pytest.raises(ValidationError) as refused:
        validate(value)
    assert refused.value.code == "format_characters"
    assert "U+" in refused.value.messages[0] and "is not allowed" in refused.value.messages[0]


def test_the_refusal_names_the_character():
    with pytest.raises(ValidationError) as refused:
        validate_single_line("abc\u202egnp.exe")
    assert refused.value.messages[0].startswith("U+202E (RIGHT-TO-LEFT OVERRIDE) is not allowed")


@pytest.mark.parametrize("value", ALLOWED[:-1])
def test_ordinary_names_stay_allowed(value):
    validate_single_line(value)


@pytest.mark.parametrize("value", ALLOWED)
def test_ordinary_text_stays_allowed(value):
    validate_text(value + "\nwith a second line")


# --- through every entry point -----------------------------------------------------------------


def _app_fields(**changes) -> dict:
    return {
        "name": "Calendar Sync",
        "homepage": "https://calendar.example/",
        "email": "dev@calendar.example",
        "redirect_uri": "https://calendar.example/cb",
        **changes,
    }


@pytest.mark.parametrize("field", ["name", "description"])
def test_the_app_services_refuse_it_in_a_name_or_description(demo, field):
    owner = demo["organization"]
    with pytest.raises(ValidationError) as refused:
        services.app_create(
            actor=owner,
            owner=owner,
            api=Api.SYSTEMAPI,
            origin=COMMAND_LINE,
            **_app_fields(**{field: INVISIBLE["right-to-left override"]}),
        )
    assert [error.code for error in refused.value.error_dict[field]] == ["format_characters"]
    app = services.app_create(
        actor=owner, owner=owner, api=Api.SYSTEMAPI, origin=COMMAND_LINE, **_app_fields()
    )
    with pytest.raises(ValidationError):
        services.app_update(actor=owner, app=app, origin=COMMAND_LINE, **{field: "x\u2028y"})
    assert App.objects.get().name == "Calendar Sync" and App.objects.get().description == ""


def test_the_portals_edit_form_shows_the_error_beside_the_field(demo, client):
    owner = demo["user"]
    app = services.app_create(
        actor=owner, owner=owner, api=Api.SYSTEMAPI, origin=COMMAND_LINE, **_app_fields()
    )
    client.force_login(owner)
    form = {**_app_fields(name="abc\u202egnp.exe"), "description": "", "image_uri": "", "phone": ""}
    response = client.post(reverse("apps_registry:edit", args=[app.pk]), form)
    assert response.status_code == 200
    assert "U+202E (RIGHT-TO-LEFT OVERRIDE) is not allowed" in response.content.decode()
    assert App.objects.get().name == "Calendar Sync"


@pytest.mark.parametrize("field", ["name", "description"])
def test_register_php_refuses_it_with_an_error_page(demo, client, field):
    params = {
        **_app_fields(**{field: INVISIBLE["zero-width space"]}),
        "state": "s",
    }
    client.force_login(demo["user"])
    response = client.get("/oauth/register.php", params, secure=True)
    assert response.status_code == 400
    assert f"{field}: U+200B (ZERO WIDTH SPACE) is not allowed" in response.content.decode()
    assert not App.objects.exists()


@pytest.mark.parametrize("value", [INVISIBLE["right-to-left override"], INVISIBLE["line separator"]])
def test_rfc7591_registration_refuses_it_in_client_name(demo, client, value):
    body = {"client_name": value, "redirect_uris": ["https://calendar.example/cb"]}
    response = client.post(
        "/oauth/register",
        json.dumps(body),
        content_type="application/json",
        secure=True,
        HTTP_AUTHORIZATION=f"Bearer {make_token(demo['user'])}",
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_client_metadata"
    assert response.json()["error_description"].startswith("client_name: U+")
    assert not App.objects.exists()


def test_an_account_name_refuses_it(demo, client):
    client.force_login(demo["organization"])
    response = client.post(
        reverse("accounts:add_child", args=[demo["organization"].pk]),
        child_form(Kind.USER, name="Support\u202e"),
    )
    assert response.status_code == 200
    assert "U+202E (RIGHT-TO-LEFT OVERRIDE) is not allowed" in response.content.decode()
    assert not Account.objects.filter(username="newchild").exists()


def test_an_initial_access_tokens_name_refuses_it(demo, client):
    client.force_login(demo["user"])
    response = client.post(
        reverse("oauth:initial_access_tokens", args=[demo["user"].pk]),
        {"name": "MCP\u2066 clients", "days": 7, "max_uses": 1},
    )
    assert response.status_code == 400  # the page answers a refused form so
    assert "U+2066 (LEFT-TO-RIGHT ISOLATE) is not allowed" in response.content.decode()
    assert not InitialAccessToken.objects.exists()
