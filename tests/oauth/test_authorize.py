"""/oauth/authorize.php (design §6): consent, exact redirect_uri, PKCE when sent, errors."""

import pytest

from apps_registry.services import COMMAND_LINE, app_set_enabled
from tests.helpers import TOKEN_URL, basic, get_code, query, s256

pytestmark = pytest.mark.django_db

AUTHORIZE = "/oauth/authorize.php"


def params(app, **changes):
    values = {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": app.redirect_uri,
        "state": "s1",
    }
    return {key: value for key, value in {**values, **changes}.items() if value is not None}


def test_consent_page_shows_the_app_and_sends_no_store(client, web_app, demo):
    client.force_login(demo["user"])
    page = client.get(AUTHORIZE, params(web_app))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Web App" in html and "UnifiedAPI" in html and 'id="consent-account">user<' in html
    assert "no-store" in page["Cache-Control"]
    assert page["X-Frame-Options"] == "DENY"


def test_allow_redirects_with_code_state_and_issuer(client, web_app, demo):
    client.force_login(demo["user"])
    page = client.get(AUTHORIZE, params(web_app))
    response = client.post(AUTHORIZE, {"request": page.context["blob"], "action": "allow"})
    assert response.status_code == 302
    got = query(response["Location"])
    assert response["Location"].startswith(web_app.redirect_uri + "?")
    assert got["state"] == ["s1"] and got["code"][0] and got["iss"][0]


def test_signing_in_on_the_consent_page(client, web_app, demo):
    page = client.get(AUTHORIZE, params(web_app))
    assert 'name="password"' in page.content.decode()
    response = client.post(
        AUTHORIZE,
        {"request": page.context["blob"], "action": "allow", "username": "user", "password": "demo"},
    )
    assert response.status_code == 302
    assert "code" in query(response["Location"])


def test_wrong_password_issues_no_code(client, web_app, demo):
    page = client.get(AUTHORIZE, params(web_app))
    response = client.post(
        AUTHORIZE, {"request": page.context["blob"], "action": "allow", "username": "user", "password": "x"}
    )
    assert response.status_code == 400
    assert "Location" not in response


def test_deny_redirects_with_access_denied(client, web_app, demo):
    client.force_login(demo["user"])
    page = client.get(AUTHORIZE, params(web_app))
    response = client.post(AUTHORIZE, {"request": page.context["blob"], "action": "deny"})
    got = query(response["Location"])
    assert got["error"] == ["access_denied"] and got["state"] == ["s1"]
    assert "code" not in got


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://app.example/callback/",
        "https://app.example/CALLBACK",
        "https://app.example/callback?x=1",
        "https://app.example:444/callback",
        "https://evil.example/callback",
        "http://app.example/callback",
    ],
)
def test_redirect_uri_must_match_exactly_and_a_mismatch_is_never_redirected_to(
    client, web_app, demo, redirect_uri
):
    client.force_login(demo["user"])
    response = client.get(AUTHORIZE, params(web_app, redirect_uri=redirect_uri))
    assert response.status_code == 400
    assert "Location" not in response


def test_unknown_client_id_gets_an_error_page(client, demo):
    client.force_login(demo["user"])
    response = client.get(AUTHORIZE, {"response_type": "code", "client_id": "nope"})
    assert response.status_code == 400
    assert "Location" not in response


def test_disabled_app_cannot_be_authorized(client, web_app, demo):
    app_set_enabled(actor=web_app.owner, app=web_app, enabled=False, origin=COMMAND_LINE)
    client.force_login(demo["user"])
    response = client.get(AUTHORIZE, params(web_app))
    assert response.status_code == 400
    assert "Location" not in response


def test_implicit_grant_is_refused(client, web_app, demo):
    client.force_login(demo["user"])
    response = client.get(AUTHORIZE, params(web_app, response_type="token"))
    assert "access_token" not in response.get("Location", "")
    assert query(response["Location"])["error"] == ["unauthorized_client"]


def test_tampered_consent_is_refused(client, web_app, demo):
    client.force_login(demo["user"])
    page = client.get(AUTHORIZE, params(web_app))
    response = client.post(AUTHORIZE, {"request": page.context["blob"] + "x", "action": "allow"})
    assert response.status_code == 400
    assert "Location" not in response


def exchange(client, app, code, **fields):
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": app.redirect_uri, **fields}
    return client.post(TOKEN_URL, data, HTTP_AUTHORIZATION=basic(app.client_id, app.client_secret))


def test_pkce_is_honoured_when_sent(client, web_app, demo):
    verifier = "v" * 64
    code = get_code(
        client, web_app, demo["user"], code_challenge=s256(verifier), code_challenge_method="S256"
    )
    assert exchange(client, web_app, code, code_verifier="w" * 64).status_code == 400
    code = get_code(
        client, web_app, demo["user"], code_challenge=s256(verifier), code_challenge_method="S256"
    )
    assert exchange(client, web_app, code).status_code == 400  # verifier missing
    code = get_code(
        client, web_app, demo["user"], code_challenge=s256(verifier), code_challenge_method="S256"
    )
    assert exchange(client, web_app, code, code_verifier=verifier).status_code == 200


def test_pkce_plain_is_refused_before_the_consent_page(client, web_app, demo):
    client.force_login(demo["user"])
    response = client.get(AUTHORIZE, params(web_app, code_challenge="p" * 50, code_challenge_method="plain"))
    assert response.status_code == 302
    got = query(response["Location"])
    assert got["error"] == ["invalid_request"] and got["state"] == ["s1"]
    assert "code" not in got


def test_pkce_is_not_demanded_of_confidential_apps(client, web_app, demo):
    code = get_code(client, web_app, demo["user"])
    assert exchange(client, web_app, code).status_code == 200


def test_an_app_removed_while_its_consent_page_was_open_gets_an_error_page(client, web_app, demo):
    page = client.get(AUTHORIZE, params(web_app))
    web_app.delete()
    response = client.post(
        AUTHORIZE, {"request": page.context["blob"], "action": "allow", "username": "user", "password": "x"}
    )
    assert response.status_code == 400
    assert "Location" not in response
