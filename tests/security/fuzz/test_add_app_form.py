"""Hypothesis-generated requests (what they are made of, the properties every answer must have
and FUZZ_EXAMPLES: helpers.py): the Add App form."""

from urllib.parse import urlencode

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from apps_registry.models import App, AuditEvent
from tests.helpers import add_url, form_data
from tests.security.fuzz.helpers import (
    FUZZ,
    assert_no_redirect_outside_the_portal,
    assert_sound,
    counts,
    mutated,
    raw_request,
    rolled_back,
    send,
)

pytestmark = pytest.mark.django_db


# --- the Add App form ------------------------------------------------------------------------

ADD_NAMES = ["name", "description", "homepage", "image_uri", "email", "phone", "trusted", "redirect_uri"]


@pytest.fixture
def add_form(client, demo) -> dict:
    client.force_login(demo["organization"])
    return form_data(client.get(add_url(demo["organization"])))


@FUZZ
@given(params=st.data(), htmx=st.booleans())
def test_add_app_form_mutated_fields(client, demo, add_form, params, htmx):
    pairs = params.draw(mutated(add_form, [*ADD_NAMES, "credentials", "api", "owner"]))
    owner = demo["organization"]
    headers = {"HX-Request": "true"} if htmx else {}
    with rolled_back():
        client.force_login(owner)
        apps, events = counts()
        response = client.post(
            add_url(owner), urlencode(pairs), "application/x-www-form-urlencoded", headers=headers
        )
        assert_sound(response)
        assert_no_redirect_outside_the_portal(response)
        created = App.objects.count() - apps
        event(f"{response.status_code}, {created} App created")
        assert created in (0, 1)
        if created:
            assert response.status_code in (302, 204)
            App.objects.get(owner=owner).full_clean()
        assert AuditEvent.objects.count() == events + created


@FUZZ
@given(request=raw_request([*ADD_NAMES, "credentials"]), signed_in=st.booleans())
def test_add_app_form_raw_requests(client, demo, request, signed_in):
    owner = demo["organization"]
    with rolled_back():
        client.logout()
        if signed_in:
            client.force_login(owner)
        before = counts()
        response = send(client, request, add_url(owner).split("?")[0])
        assert_sound(response)
        assert_no_redirect_outside_the_portal(response)
        assert counts() == before  # no valid signed credentials: nothing can be created
