"""A percent-escape in a received key or secret (design §3 and §6): 4PSA's PHP Apps urlencode()
the key and secret and post them as multipart, which nothing decodes, so "~" arrives as "%7E".
A key or secret never holds "%", so the escape is unambiguous: token.php, revoke and introspect
accept the decoded value, in the body (form-urlencoded or multipart) or in HTTP Basic. Nothing
else a client sends is decoded, and what does not decode to a credential is a wrong one."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps_registry.models import AccessToken, Api
from oauth.clients import received_credential
from tests.factories import AppFactory
from tests.helpers import REDIRECT, TOKEN_URL, basic, get_code

pytestmark = pytest.mark.django_db

KEY = "5~2wKMPg9h~GExN3s01-7wX2XmLI_Xbz"  # the seed's example key: two "~"
SECRET = "2Zn~VC0q.8-_~aBcDeFgHiJkLmNoPqRs"
TRANSACTION_CONTROL = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT", "BEGIN", "COMMIT")


def php_urlencode(value: str) -> str:
    """PHP's urlencode() for these ASCII values: everything but letters, digits, - _ . escaped."""
    return "".join(c if c.isalnum() or c in "-_." else f"%{ord(c):02X}" for c in value)


def statements(captured) -> list[str]:
    return [query["sql"] for query in captured if not query["sql"].startswith(TRANSACTION_CONTROL)]


@pytest.fixture
def app(demo):
    """A trusted UnifiedAPI App whose key and secret have "~" in them, for web flows too."""
    assert len(KEY) == len(SECRET) == 32
    return AppFactory(
        owner=demo["organization"],
        api=Api.UNIFIEDAPI,
        trusted=True,
        client_id=KEY,
        client_secret=SECRET,
        redirect_uri=REDIRECT,
    )


def token_with_escapes(client, how: str, key: str = KEY, secret: str = SECRET):
    """A client_credentials request with urlencode()d credentials, sent `how`."""
    escaped_key, escaped_secret = php_urlencode(key), php_urlencode(secret)
    if how == "multipart":  # PHP curl with an array: the escapes arrive as sent
        data = {"grant_type": "client_credentials", "client_id": escaped_key, "client_secret": escaped_secret}
        return client.post(TOKEN_URL, {**data, "state": "0", "redirect_uri": REDIRECT})
    if how == "urlencoded":  # http_build_query() of urlencode()d values: escaped twice
        body = (
            f"grant_type=client_credentials&client_id={php_urlencode(escaped_key)}"
            f"&client_secret={php_urlencode(escaped_secret)}&state=0"
        )
        return client.post(TOKEN_URL, body, content_type="application/x-www-form-urlencoded")
    return client.post(  # HTTP Basic of urlencode()d values
        TOKEN_URL, {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=basic(escaped_key, escaped_secret)
    )


def test_php_urlencode_escapes_the_tilde():
    assert php_urlencode(KEY) == "5%7E2wKMPg9h%7EGExN3s01-7wX2XmLI_Xbz"


@pytest.mark.parametrize("how", ["multipart", "urlencoded", "basic"])
def test_escaped_key_and_secret_get_a_token(client, app, how):
    response = token_with_escapes(client, how)

    assert response.status_code == 200, response.content
    assert AccessToken.objects.get().application == app


@pytest.mark.parametrize("how", ["multipart", "urlencoded", "basic"])
def test_escaped_credentials_cost_what_plain_ones_do(client, app, how):
    """One SELECT for the App and one INSERT for the token, as test_token's cost tests say
    (after the minute's first use, which writes when the secret was last used)."""
    assert token_with_escapes(client, how).status_code == 200
    with CaptureQueriesContext(connection) as captured:
        response = token_with_escapes(client, how)

    assert response.status_code == 200, response.content
    sql = statements(captured)
    assert len(sql) == 2, sql
    assert sql[0].startswith("SELECT") and sql[1].startswith("INSERT")


def test_revoke_accepts_escaped_credentials(client, app):
    token = client.post(
        TOKEN_URL, {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=basic(KEY, SECRET)
    )
    value = token.json()["access_token"]

    response = client.post(
        "/oauth/revoke",
        {"token": value, "client_id": php_urlencode(KEY), "client_secret": php_urlencode(SECRET)},
    )

    assert response.status_code == 200, response.content
    assert not AccessToken.objects.exists()


@pytest.mark.parametrize("how", ["body", "basic"])
def test_introspect_accepts_escaped_credentials(client, app, how):
    token = client.post(
        TOKEN_URL, {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=basic(KEY, SECRET)
    )
    value = token.json()["access_token"]
    if how == "body":
        response = client.post(
            "/oauth/introspect",
            {"token": value, "client_id": php_urlencode(KEY), "client_secret": php_urlencode(SECRET)},
        )
    else:
        response = client.post(
            "/oauth/introspect",
            {"token": value},
            HTTP_AUTHORIZATION=basic(php_urlencode(KEY), php_urlencode(SECRET)),
        )

    assert response.status_code == 200, response.content
    assert response.json()["active"] is True
    assert response.json()["client_id"] == KEY


# What does not decode to a key or secret: a "%" of its own, a NUL, bytes that are not UTF-8,
# a broken escape, and an escape of a character outside the alphabet.
NOT_CREDENTIALS = [
    "%25" + SECRET[3:],
    "%00" + SECRET[3:],
    "%FF" + SECRET[3:],
    SECRET[:-2] + "%7",
    "%2B" + SECRET[3:],
]


@pytest.mark.parametrize("secret", NOT_CREDENTIALS)
@pytest.mark.parametrize("where", ["body", "basic"])
def test_a_secret_that_does_not_decode_to_a_credential_is_invalid_client_for_one_select(
    client, app, secret, where
):
    assert received_credential(secret) == secret
    with CaptureQueriesContext(connection) as captured:
        if where == "body":
            data = {
                "grant_type": "client_credentials",
                "client_id": php_urlencode(KEY),
                "client_secret": secret,
            }
            response = client.post(TOKEN_URL, data)
        else:
            response = client.post(
                TOKEN_URL,
                {"grant_type": "client_credentials"},
                HTTP_AUTHORIZATION=basic(php_urlencode(KEY), secret),
            )

    assert response.status_code == 401
    assert response.json() == {"error": "invalid_client"}
    assert len(statements(captured)) == 1, statements(captured)


@pytest.mark.parametrize("key", [KEY[:-3] + "%00", "%25" + KEY[3:], php_urlencode(KEY) + "%7E"])
def test_a_key_that_does_not_decode_to_a_credential_is_invalid_client_for_one_select(client, app, key):
    with CaptureQueriesContext(connection) as captured:
        response = client.post(
            TOKEN_URL, {"grant_type": "client_credentials", "client_id": key, "client_secret": SECRET}
        )

    assert response.status_code == 401
    assert response.json() == {"error": "invalid_client"}
    assert len(statements(captured)) == 1, statements(captured)


def test_an_escaped_right_key_with_a_wrong_escaped_secret_is_invalid_client(client, app):
    response = token_with_escapes(client, "multipart", secret="x" * 31 + "~")

    assert response.status_code == 401
    assert response.json() == {"error": "invalid_client"}


# --- nothing but the key and secret is decoded ----------------------------------------------


def escape_first_letter(value: str) -> str:
    """The same value with its first letter written as a percent-escape (A -> %41)."""
    index = next(i for i, c in enumerate(value) if c.isalpha())
    return value[:index] + f"%{ord(value[index]):02X}" + value[index + 1 :]


def test_an_escaped_code_is_not_decoded(client, app, demo):
    code = get_code(client, app, demo["user"])
    data = {"grant_type": "authorization_code", "redirect_uri": REDIRECT}
    credentials = {"client_id": php_urlencode(KEY), "client_secret": php_urlencode(SECRET)}

    refused = client.post(TOKEN_URL, {**data, **credentials, "code": escape_first_letter(code)})
    exchanged = client.post(TOKEN_URL, {**data, **credentials, "code": code})

    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_grant"
    assert exchanged.status_code == 200, exchanged.content  # the escaped credentials were fine


def test_an_escaped_redirect_uri_is_not_decoded(client, app, demo):
    """The escaped redirect_uri is not even a URL (invalid_request); the code, untouched by the
    refusal, is exchanged with the redirect_uri as registered."""
    code = get_code(client, app, demo["user"])
    data = {"grant_type": "authorization_code", "code": code}
    credentials = {"client_id": php_urlencode(KEY), "client_secret": php_urlencode(SECRET)}

    refused = client.post(TOKEN_URL, {**data, **credentials, "redirect_uri": php_urlencode(REDIRECT)})
    exchanged = client.post(TOKEN_URL, {**data, **credentials, "redirect_uri": REDIRECT})

    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_request"
    assert exchanged.status_code == 200, exchanged.content


def test_an_escaped_refresh_token_is_not_decoded(client, app, demo):
    code = get_code(client, app, demo["user"])
    credentials = {"client_id": php_urlencode(KEY), "client_secret": php_urlencode(SECRET)}
    tokens = client.post(
        TOKEN_URL, {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, **credentials}
    ).json()

    response = client.post(
        TOKEN_URL,
        {
            "grant_type": "refresh_token",
            "refresh_token": escape_first_letter(tokens["refresh_token"]),
            **credentials,
        },
    )

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_an_escaped_token_is_not_decoded_by_revoke(client, app):
    token = client.post(
        TOKEN_URL, {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=basic(KEY, SECRET)
    )
    value = token.json()["access_token"]

    response = client.post(
        "/oauth/revoke",
        {
            "token": escape_first_letter(value),
            "client_id": php_urlencode(KEY),
            "client_secret": php_urlencode(SECRET),
        },
    )

    assert response.status_code == 200  # RFC 7009: an unknown token is no error
    assert AccessToken.objects.count() == 1
