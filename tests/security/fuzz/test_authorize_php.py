"""Hypothesis-generated requests (what they are made of, the properties every answer must have
and FUZZ_EXAMPLES: helpers.py): /oauth/authorize.php and its consent."""

from urllib.parse import urlencode

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from tests.security.fuzz.helpers import (
    AUTHORIZE,
    FUZZ,
    REGISTERED,
    assert_redirects_only_to,
    assert_sound,
    mutated,
    raw_request,
    rolled_back,
    send,
    text_values,
)

pytestmark = pytest.mark.django_db


# --- /oauth/authorize.php --------------------------------------------------------------------


AUTHORIZE_NAMES = [
    "response_type",
    "client_id",
    "redirect_uri",
    "state",
    "scope",
    "code_challenge",
    "code_challenge_method",
    "request",
    "action",
    "username",
    "password",
]


@FUZZ
@given(request=raw_request(AUTHORIZE_NAMES), signed_in=st.booleans())
def test_authorize_php_raw_requests(client, demo, app, request, signed_in):
    with rolled_back():
        if signed_in:
            client.force_login(demo["user"])
        response = send(client, request, AUTHORIZE)
        assert_sound(response)
        assert_redirects_only_to(response, REGISTERED)


@FUZZ
@given(
    params=mutated(
        {
            "response_type": "code",
            "client_id": "APP",
            "redirect_uri": REGISTERED,
            "state": "s",
            "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            "code_challenge_method": "S256",
        },
        AUTHORIZE_NAMES,
    ),
    response_type=st.sampled_from(["code"] * 5 + ["token", "id_token", "code token", "", "CODE"]),
    redirect_uri=st.sampled_from([REGISTERED] * 4 + [f"{REGISTERED}/", "https://evil.example/cb", ""]),
    decide=st.sampled_from([None, "allow", "deny", "switch"]) | text_values(10),
)
def test_authorize_php_mutated_parameters_then_the_consent(
    client, demo, app, params, response_type, redirect_uri, decide
):
    params = [
        (key, app.client_id if value == "APP" else value)
        for key, value in params
        if key not in {"response_type", "redirect_uri"}
    ]
    params += [("response_type", response_type), ("redirect_uri", redirect_uri)]
    with rolled_back():
        client.force_login(demo["user"])
        response = client.get(f"{AUTHORIZE}?{urlencode(params)}")
        assert_sound(response)
        assert_redirects_only_to(response, REGISTERED)
        event(f"authorize.php {response.status_code}")
        if response.status_code == 200 and decide is not None:
            answer = client.post(AUTHORIZE, {"request": response.context["blob"], "action": decide})
            assert_sound(answer)
            assert_redirects_only_to(answer, REGISTERED)
