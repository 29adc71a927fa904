"""A real OpenID Connect provider on loopback (oidc-provider-mock, a Flask app served by
werkzeug in a thread), configured as the portal's only external identity provider.

Its authorization page asks for a subject (`sub`) and has Authorize and Deny buttons; it
signs ID tokens (RS256, published at its jwks_uri) carrying the nonce it was sent.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest
from oidc_provider_mock import run_server_in_thread

PROVIDER_ID = "mock"
PROVIDER_NAME = "Mock IdP"
CLIENT_ID = "portal-client"


@dataclass(frozen=True)
class Idp:
    url: str  # issuer, http://localhost:<port>
    provider_id: str = PROVIDER_ID
    name: str = PROVIDER_NAME

    @property
    def login_path(self) -> str:
        return f"/accounts/external/oidc/{self.provider_id}/login/"

    @property
    def callback_path(self) -> str:
        return f"/accounts/external/oidc/{self.provider_id}/login/callback/"


@pytest.fixture(scope="session")
def _idp_server():
    # authlib (inside the mock) refuses plain HTTP unless told otherwise; loopback only here.
    previous = os.environ.get("AUTHLIB_INSECURE_TRANSPORT")
    os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"
    with run_server_in_thread(require_nonce=True) as server:
        yield f"http://localhost:{server.server_port}"
    if previous is None:
        os.environ.pop("AUTHLIB_INSECURE_TRANSPORT", None)


def provider_settings(issuer: str) -> dict:
    """SOCIALACCOUNT_PROVIDERS as config/settings.py builds it from OIDC_PROVIDERS=mock."""
    from django.conf import settings

    configured = {key: dict(value) for key, value in settings.SOCIALACCOUNT_PROVIDERS.items()}
    configured["google"].pop("APPS", None)
    configured["openid_connect"]["APPS"] = [
        {
            "provider_id": PROVIDER_ID,
            "name": PROVIDER_NAME,
            "client_id": CLIENT_ID,
            "secret": "mock-secret",
            "settings": {"server_url": issuer},
        }
    ]
    return configured


@pytest.fixture
def idp(_idp_server, settings) -> Idp:
    """The mock provider, configured in the portal for this test (the live server runs in
    this process, so it sees the same settings)."""
    settings.SOCIALACCOUNT_PROVIDERS = provider_settings(_idp_server)
    return Idp(url=_idp_server)
