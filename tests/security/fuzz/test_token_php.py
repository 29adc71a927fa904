"""Hypothesis-generated requests (what they are made of, the properties every answer must have
and FUZZ_EXAMPLES: helpers.py): /oauth/token.php."""

import base64
from urllib.parse import urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apps_registry.models import Api
from tests.factories import AppFactory
from tests.security.fuzz.helpers import (
    CONTENT_TYPES,
    FUZZ,
    TOKEN,
    assert_sound,
    mutated,
    raw_request,
    rolled_back,
    text_values,
)

pytestmark = pytest.mark.django_db


# --- /oauth/token.php ------------------------------------------------------------------------

TOKEN_NAMES = [
    "grant_type",
    "client_id",
    "client_secret",
    "code",
    "redirect_uri",
    "refresh_token",
    "code_verifier",
    "scope",
    "state",
]

authorizations = st.one_of(
    st.none(),
    st.sampled_from(["Basic", "Basic ", "Basic !!!", "Basic " + base64.b64encode(b"\xff\xfe:\x00").decode()]),
    st.binary(max_size=60).map(lambda raw: "Basic " + base64.b64encode(raw).decode()),
    text_values(80).map(lambda value: "Basic " + value),
    text_values(80).map(lambda value: "Bearer " + value),
)


@FUZZ
@given(request=raw_request(TOKEN_NAMES), authorization=authorizations)
def test_token_php_raw_requests(client, app, request, authorization):
    extra = {"HTTP_AUTHORIZATION": authorization.encode().decode("latin-1")} if authorization else {}
    with rolled_back():
        response = client.generic(
            request["method"],
            TOKEN,
            data=request["data"],
            content_type=request["content_type"],
            QUERY_STRING=request["QUERY_STRING"],
            **extra,
        )
        assert_sound(response)
        assert "Location" not in response


@FUZZ
@given(
    params=mutated(
        {"grant_type": "client_credentials", "client_id": "APP", "client_secret": "SECRET", "state": "0"},
        TOKEN_NAMES,
    ),
    grant_type=st.sampled_from(
        ["client_credentials", "authorization_code", "refresh_token", "password", "implicit", ""]
    ),
    content_type=st.sampled_from(CONTENT_TYPES[:3]),
)
def test_token_php_mutated_parameters(client, demo, params, grant_type, content_type):
    trusted = AppFactory(owner=demo["organization"], api=Api.UNIFIEDAPI, trusted=True)
    values = {"APP": trusted.client_id, "SECRET": trusted.client_secret}
    params = [(key, values.get(value, value)) for key, value in params if key != "grant_type"]
    params.append(("grant_type", grant_type))
    with rolled_back():
        # generic(), not post(): post() would re-encode the body in the declared charset.
        response = client.generic("POST", TOKEN, urlencode(params).encode(), content_type)
        assert_sound(response)
        assert "Location" not in response
        assert response["Content-Type"] == "application/json"
