"""Hypothesis-generated requests (what they are made of, the properties every answer must have
and FUZZ_EXAMPLES: helpers.py): /oauth/register.php and its consent."""

from urllib.parse import urlencode

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from apps_registry.models import App, AuditEvent
from tests.security.fuzz.helpers import (
    CONSENT,
    FUZZ,
    REGISTER,
    REGISTERED,
    assert_redirects_only_to,
    assert_sound,
    counts,
    mutated,
    raw_request,
    rolled_back,
    send,
    text_values,
)

pytestmark = pytest.mark.django_db


# --- /oauth/register.php ---------------------------------------------------------------------

REGISTRATION = {
    "name": "Fuzzed App",
    "description": "An App",
    "homepage": "https://app.example/",
    "image_uri": "https://app.example/logo.png",
    "email": "dev@app.example",
    "phone": "+1 555 0100",
    "redirect_uri": REGISTERED,
    "api": "unifiedapi",
    "state": "s",
}
REGISTER_NAMES = list(REGISTRATION)


@FUZZ
@given(request=raw_request(REGISTER_NAMES), signed_in=st.booleans())
def test_register_php_raw_requests(client, demo, request, signed_in):
    with rolled_back():
        if signed_in:
            client.force_login(demo["organization"])
        before = counts()
        response = send(client, request, REGISTER)
        assert_sound(response)
        assert "Location" not in response  # register.php shows a page; it never redirects
        assert counts() == before


@FUZZ
@given(params=mutated(REGISTRATION, REGISTER_NAMES), method=st.sampled_from(["get", "post"]))
def test_register_php_mutated_parameters(client, demo, params, method):
    with rolled_back():
        client.force_login(demo["organization"])
        before = counts()
        if method == "get":
            response = client.get(f"{REGISTER}?{urlencode(params)}")
        else:
            response = client.post(REGISTER, urlencode(params), "application/x-www-form-urlencoded")
        assert_sound(response)
        assert "Location" not in response
        assert counts() == before
        event(f"register.php {response.status_code}")
        if response.status_code == 200:
            # A consent page is shown only for a redirect URL that passed the checks.
            redirect_uri = response.context["app"]["redirect_uri"]
            App(redirect_uri=redirect_uri).clean_fields(
                exclude=[f.name for f in App._meta.fields if f.name != "redirect_uri"]
            )


@pytest.fixture
def consent_blob(client, demo) -> str:
    page = client.get(REGISTER, REGISTRATION)
    assert page.status_code == 200
    return page.context["blob"]


@FUZZ
@given(
    # Mostly well-formed ("FUZZ" stands for generated junk), so that many examples get as far
    # as creating the App.
    action=st.sampled_from(["register"] * 4 + ["deny", "switch", "", "REGISTER", "FUZZ"]),
    blob_kind=st.sampled_from(["valid"] * 6 + ["truncated", "flipped", "fuzz", "missing"]),
    fuzz=text_values(),
    grant_access=st.sampled_from(["on", "on", "", "off", "FUZZ"]),
    credentials=st.sampled_from([None, ("organization", "demo"), ("organization", "wrong"), "FUZZ"]),
    junk=st.tuples(text_values(50), text_values(50)),
    signed_in=st.booleans(),
)
def test_register_consent_posts(
    client, demo, consent_blob, action, blob_kind, fuzz, grant_access, credentials, junk, signed_in
):
    action = junk[0] if action == "FUZZ" else action
    grant_access = junk[1] if grant_access == "FUZZ" else grant_access
    credentials = junk if credentials == "FUZZ" else credentials
    blob = {
        "valid": consent_blob,
        "truncated": consent_blob[: len(consent_blob) // 2],
        "flipped": consent_blob[:-1] + ("A" if consent_blob[-1] != "A" else "B"),
        "fuzz": fuzz,
        "missing": None,
    }[blob_kind]
    data = {"action": action, "grant_access": grant_access}
    if blob is not None:
        data["request"] = blob
    if credentials is not None:
        data["username"], data["password"] = credentials
    with rolled_back():
        client.logout()
        if signed_in:
            client.force_login(demo["organization"])
        apps, events = counts()
        response = client.post(CONSENT, urlencode(data), "application/x-www-form-urlencoded")
        assert_sound(response)
        assert_redirects_only_to(response, REGISTERED)
        created = App.objects.count() - apps
        event(f"{response.status_code}, {created} App created")  # --hypothesis-show-statistics
        if created:
            # Only a complete registration: a valid signed request, Register, an account.
            assert created == 1 and blob_kind == "valid" and action == "register"
            assert response.status_code == 302 and "client_secret=" in response["Location"]
            App.objects.get().full_clean()
            assert AuditEvent.objects.count() == events + 1
        else:
            assert AuditEvent.objects.count() == events
