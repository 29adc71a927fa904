"""Issue 17's proof with a client nobody here wrote: the official Model Context Protocol Python
SDK (`mcp`), unchanged, connects to an MCP server (tests/mcp/server.py, built with the same SDK)
whose tokens the portal issues. The client meets the server's 401, discovers the server's
protected resource metadata (RFC 9728) and the portal's authorization server metadata
(RFC 8414), registers (RFC 7591: open registration, or with an initial access token), sends the
user through authorize.php with PKCE and `resource` (RFC 8707), where the test signs in and
consents as a browser would, exchanges the code, calls `whoami`, refreshes, and is refused once
its grant is revoked.

The SDK is configured only through its public surface: an OAuthClientProvider with client
metadata, a TokenStorage, and redirect/callback handlers, inside an httpx2 client that trusts
the tests' CA. Two things come from outside it. The initial access token: an httpx2 event hook
(tests/mcp/client.py) puts `Authorization: Bearer <token>` on the registration request only, as
RFC 7591 §3 expects of a client given one out of band (the SDK has no setting for it). And the
passing of an hour: the test moves the provider's record of the token's expiry
(`provider.context.token_expiry_time`) into the past, which is what the SDK reads to refresh.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

import pytest
import requests
from django.utils import timezone
from mcp.shared.auth import OAuthClientInformationFull

from apps_registry.models import Api, AuditAction, AuditEvent
from oauth.services import initial_access_token_create
from portal.audit import AuditSource, Origin
from tests.helpers import basic, query
from tests.live_session import TIMEOUT
from tests.mcp.conftest import OPEN_REGISTRATION_ACCOUNT
from tests.mcp.harness import User, client_for, connect_refresh_and_revoke, run

pytestmark = pytest.mark.django_db(transaction=True)


# --- The flow --------------------------------------------------------------------------------


def test_an_app_registered_on_the_portal_connects_with_its_stored_credentials(
    portal, mcp_server, browser, web_app
):
    """Before any registration: an App made on the portal, whose key and secret the client
    was given, needs only discovery and the code flow."""
    user = User(browser)
    client, storage = client_for(
        portal, mcp_server, user, auth_method="client_secret_basic", redirect=web_app.redirect_uri
    )
    storage.client_info = OAuthClientInformationFull(
        client_id=web_app.client_id,
        client_secret=web_app.client_secret,
        redirect_uris=[web_app.redirect_uri],
        token_endpoint_auth_method="client_secret_basic",
    )

    app, _ = connect_refresh_and_revoke(portal, mcp_server, client, storage, user, registers=False)

    assert app == web_app


def test_open_registration_connects_an_mcp_client_unaided(portal, mcp_server, browser, demo):
    user = User(browser)
    client, storage = client_for(portal, mcp_server, user, auth_method="none")

    app, first = connect_refresh_and_revoke(portal, mcp_server, client, storage, user, registers=True)

    registration = first[3].params
    assert registration["token_endpoint_auth_method"] == "none"
    assert registration["redirect_uris"] == [
        str(uri) for uri in client.provider.context.client_metadata.redirect_uris
    ]
    assert app.owner.username == OPEN_REGISTRATION_ACCOUNT
    assert app.api == Api.UNIFIEDAPI
    assert app.is_public and not storage.client_info.client_secret
    assert app.registration.open_registration
    # The consent page said who vouches for it (nobody) and where the answer goes.
    assert 'id="unverified-app"' in user.pages[0]
    assert f'id="consent-redirect-uri">{app.redirect_uri}<' in user.pages[0]
    assert AuditEvent.objects.get(app_id=app.pk, action=AuditAction.CREATE).source == AuditSource.REGISTRATION


def test_an_initial_access_token_registers_a_confidential_mcp_client(portal, mcp_server, browser, demo):
    """The account owner created an initial access token on the portal and gave it to a web
    MCP client, which presents it on its registration request only."""
    owner = demo["organization"]
    created, initial_access_token = initial_access_token_create(
        actor=owner,
        account=owner,
        name="Assistant on my laptop",
        expires=timezone.now() + timedelta(days=1),
        max_uses=1,
        origin=Origin(AuditSource.PORTAL, "127.0.0.1"),
    )
    user = User(browser)
    client, storage = client_for(
        portal,
        mcp_server,
        user,
        auth_method="client_secret_basic",
        initial_access_token=initial_access_token,
        # A confidential client is a web one: the portal keeps loopback redirects for public
        # (native) clients, which hold no secret worth the name.
        redirect="https://assistant.example/oauth/callback",
    )

    app, first = connect_refresh_and_revoke(portal, mcp_server, client, storage, user, registers=True)

    assert first[3].params["token_endpoint_auth_method"] == "client_secret_basic"
    assert app.owner == owner
    assert app.api == Api.UNIFIEDAPI
    assert not app.is_public and storage.client_info.client_secret
    assert app.registration.initial_access_token == created
    assert 'id="unverified-app"' not in user.pages[0]  # its account's owner vouched for it
    created.refresh_from_db()
    assert created.uses == 1
    # The token went with the registration request and with nothing else.
    assert [exchange.url for exchange in client.wire.presented] == [f"{portal.url}/oauth/register"]


def test_a_client_metadata_document_connects_without_registering(
    portal, mcp_server, browser, documents, demo
):
    """The SDK's client_metadata_url (issue 25): the portal advertises metadata documents, so
    the SDK sends the document's URL as its client_id and registers nothing; the portal fetches
    the document (over https, on loopback in the tests) and keeps it as an App."""
    user = User(browser)
    url = documents.url("/python-sdk-client.json")
    client, storage = client_for(portal, mcp_server, user, auth_method="none", metadata_url=url)
    metadata = client.provider.context.client_metadata
    documents.serve_json(
        "/python-sdk-client.json",
        {
            "client_id": url,
            "client_name": "Python MCP host",
            "redirect_uris": [str(uri) for uri in metadata.redirect_uris],
            "grant_types": ["authorization_code", "refresh_token"],
            "token_endpoint_auth_method": "none",
        },
    )

    app, first = connect_refresh_and_revoke(portal, mcp_server, client, storage, user, registers=False)

    assert app.client_id == url and app.is_metadata_document and app.unverified
    assert app.owner.username == OPEN_REGISTRATION_ACCOUNT and app.name == "Python MCP host"
    assert not any("/oauth/register" in exchange.url for exchange in first)
    assert 'id="metadata-host">Served by' in user.pages[0]


# --- RFC 8707: the MCP server takes only tokens issued for it ----------------------------------


def code_flow_token(portal, browser, app, resource: str | None) -> str:
    """An access token for `app`, granted by the demo User, asked for with `resource` (or
    without one, as VoipNow's Apps ask today)."""
    params = {"response_type": "code", "client_id": app.client_id, "redirect_uri": app.redirect_uri}
    user = User(browser)
    run(user.redirect_handler, f"{portal.url}/oauth/authorize.php?{urlencode(params)}")
    code = query(user.locations[0])["code"][0]
    answer = requests.post(
        f"{portal.url}/oauth/token.php",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": app.redirect_uri}
        | ({"resource": resource} if resource else {}),
        headers={"Authorization": basic(app.client_id, app.client_secret)},
        verify=str(portal.ca),
        timeout=TIMEOUT,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["access_token"]


def initialize(mcp_server, token: str) -> requests.Response:
    """The first request of an MCP session, with `token`."""
    message = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "requests", "version": "1"},
        },
    }
    return requests.post(
        mcp_server.url,
        json=message,
        headers={"Authorization": f"Bearer {token}", "Accept": "application/json, text/event-stream"},
        verify=str(mcp_server.ca),
        timeout=TIMEOUT,
    )


@pytest.mark.parametrize("bound_to", ["the MCP server", "UnifiedAPI", "nothing"])
def test_the_mcp_server_takes_only_tokens_issued_for_it(portal, mcp_server, browser, web_app, bound_to):
    resource = {"the MCP server": mcp_server.url, "UnifiedAPI": f"{portal.url}/uapi", "nothing": None}
    token = code_flow_token(portal, browser, web_app, resource[bound_to])

    answer = initialize(mcp_server, token)

    introspected = mcp_server.verifier.answers[-1]
    assert introspected["active"] is True  # a good token, for the user, of this App
    if bound_to == "the MCP server":
        assert answer.status_code == 200, answer.text
        assert introspected["aud"] == [mcp_server.url]
        # The portal's UnifiedAPI refuses it in turn: the MCP server cannot pass it on.
        me = requests.get(
            f"{portal.url}/uapi/@me",
            headers={"Authorization": f"Bearer {token}"},
            verify=str(portal.ca),
            timeout=TIMEOUT,
        )
        assert me.status_code == 401
        assert me.json()["error"]["code"] == "invalid_token"
    else:
        assert answer.status_code == 401
        assert 'error="invalid_token"' in answer.headers["WWW-Authenticate"]
        assert introspected.get("aud") == ([f"{portal.url}/uapi"] if resource[bound_to] else None)
