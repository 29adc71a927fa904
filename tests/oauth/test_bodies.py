"""Bodies the JSON endpoints cannot read (issue 13, "also noticed"): a form-urlencoded body that
is not UTF-8 is a 400 invalid_request (Django would decode it leniently and answer about
parameters the client never sent), and an oversized one the endpoint's JSON error, not
Django's HTML 400 page."""

import pytest

from apps_registry.models import AccessToken
from tests.helpers import TOKEN_URL, basic

pytestmark = pytest.mark.django_db

PATHS = [TOKEN_URL, "/oauth/revoke", "/oauth/introspect"]
FORM = "application/x-www-form-urlencoded"


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("value", [b"\xe9", b"%E9", b"%C3", b"%ff%fe", b"caf%C3%A9%C3"])
def test_a_form_body_that_is_not_utf8_is_invalid_request(client, trusted_app, path, value):
    body = b"grant_type=client_credentials&token=" + value
    auth = basic(trusted_app.client_id, trusted_app.client_secret)
    response = client.generic("POST", path, body, FORM, HTTP_AUTHORIZATION=auth)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert "UTF-8" in response.json()["error_description"]
    assert not AccessToken.objects.exists()


def test_a_utf8_form_body_is_served(client, trusted_app):
    body = b"grant_type=client_credentials&type=caf%C3%A9&note=\xc3\xa9+x"
    auth = basic(trusted_app.client_id, trusted_app.client_secret)
    response = client.generic("POST", TOKEN_URL, body, FORM, HTTP_AUTHORIZATION=auth)
    assert response.status_code == 200, response.content


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("content_type", [FORM, "multipart/form-data; boundary=xyz"])
def test_an_oversized_body_gets_a_json_error(client, trusted_app, settings, path, content_type):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    if content_type == FORM:
        body = b"grant_type=client_credentials&pad=" + b"x" * 2000
    else:
        body = (
            b'--xyz\r\nContent-Disposition: form-data; name="pad"\r\n\r\n' + b"x" * 2000 + b"\r\n--xyz--\r\n"
        )
    auth = basic(trusted_app.client_id, trusted_app.client_secret)
    response = client.generic("POST", path, body, content_type, HTTP_AUTHORIZATION=auth)
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"] == "invalid_request"
    assert "too large" in response.json()["error_description"]


@pytest.mark.parametrize("path", PATHS)
def test_too_many_fields_gets_a_json_error(client, trusted_app, settings, path):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    body = "&".join(f"f{i}=1" for i in range(50)).encode()
    response = client.generic("POST", path, body, FORM)
    assert response.status_code == 413
    assert response.json()["error"] == "invalid_request"
