"""Discovery over a socket (design §6), as a standards client walks it: from the 401 of
/uapi/@me to the protected resource's metadata (RFC 9728), to the authorization server's
(RFC 8414, checked by Authlib's own parser), then the code flow with PKCE and a resource
indicator (RFC 8707) through Authlib, the endpoints taken from the metadata."""

import re

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc8414 import AuthorizationServerMetadata, get_well_known_url

from tests.helpers import basic, query
from tests.live_session import TIMEOUT, authorize, me

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def issuer(live, settings) -> str:
    settings.OAUTH_ISSUER = live
    settings.ALLOWED_HOSTS = ["localhost", "evil.example"]
    return live


def test_a_client_finds_everything_from_one_401_and_authlib_runs_the_flow(issuer, browser, web_app):
    unauthorized = requests.get(f"{issuer}/uapi/@me", timeout=TIMEOUT)
    assert unauthorized.status_code == 401
    metadata_url = re.search(r'resource_metadata="([^"]+)"', unauthorized.headers["WWW-Authenticate"]).group(
        1
    )

    resource = requests.get(metadata_url, timeout=TIMEOUT).json()
    assert resource["resource"] == f"{issuer}/uapi"
    (server,) = resource["authorization_servers"]

    document = requests.get(get_well_known_url(server, external=True), timeout=TIMEOUT).json()
    metadata = AuthorizationServerMetadata(document)
    metadata.validate()
    assert metadata.issuer == server == issuer

    oauth = OAuth2Session(
        web_app.client_id,
        web_app.client_secret,
        redirect_uri=web_app.redirect_uri,
        code_challenge_method="S256",
        timeout=TIMEOUT,
    )
    verifier = "v" * 64
    url, state = oauth.create_authorization_url(
        metadata["authorization_endpoint"], code_verifier=verifier, resource=resource["resource"]
    )
    location = authorize(browser, url, username="user")
    assert query(location)["iss"] == [issuer]  # RFC 9207, as the metadata promises
    token = oauth.fetch_token(
        metadata["token_endpoint"],
        authorization_response=location,
        state=state,
        code_verifier=verifier,
        resource=resource["resource"],
    )
    assert me(issuer, token["access_token"]).json()["username"] == "user"

    introspected = requests.post(
        metadata["introspection_endpoint"],
        data={"token": token["access_token"]},
        headers={"Authorization": basic(web_app.client_id, web_app.client_secret)},
        timeout=TIMEOUT,
    ).json()
    assert introspected["active"] is True and introspected["aud"] == [resource["resource"]]


def test_a_forged_host_changes_nothing_in_the_documents(issuer):
    headers = {"Host": "evil.example", "X-Forwarded-Host": "evil.example"}
    for path in ("/.well-known/oauth-authorization-server", "/.well-known/oauth-protected-resource/uapi"):
        response = requests.get(f"{issuer}{path}", headers=headers, timeout=TIMEOUT)
        assert response.status_code == 200
        assert "evil" not in response.text
    challenge = requests.get(f"{issuer}/uapi/@me", headers=headers, timeout=TIMEOUT).headers[
        "WWW-Authenticate"
    ]
    assert f'resource_metadata="{issuer}/' in challenge
