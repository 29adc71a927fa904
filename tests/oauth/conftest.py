import base64
import hashlib
from urllib.parse import parse_qs, urlsplit

import pytest

from apps_registry.models import Api
from tests.factories import AppFactory

TOKEN_URL = "/oauth/token.php"
REDIRECT = "https://app.example/callback"


@pytest.fixture
def trusted_app(demo):
    """A trusted UnifiedAPI App of the demo Organization: it may use client_credentials."""
    return AppFactory(owner=demo["organization"], api=Api.UNIFIEDAPI, trusted=True, name="Trusted")


@pytest.fixture
def web_app(demo):
    """An ordinary (untrusted) UnifiedAPI App of the demo Organization."""
    return AppFactory(owner=demo["organization"], api=Api.UNIFIEDAPI, name="Web App", redirect_uri=REDIRECT)


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query, keep_blank_values=True)


def get_code(client, app, user, **extra) -> str:
    """Sign `user` in and allow `app` on the consent page; return the authorization code."""
    client.force_login(user)
    params = {"response_type": "code", "client_id": app.client_id, "redirect_uri": app.redirect_uri, **extra}
    page = client.get("/oauth/authorize.php", params)
    assert page.status_code == 200, page.content
    response = client.post("/oauth/authorize.php", {"request": page.context["blob"], "action": "allow"})
    assert response.status_code == 302, response.content
    return query(response["Location"])["code"][0]


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
