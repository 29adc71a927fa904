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

import json
import ssl
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import anyio
import httpx2
import pytest
import requests
from django.utils import timezone
from mcp import Client
from mcp.client.auth import OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import (
    AuthorizationCodeResult,
    OAuthClientInformationFull,
    OAuthClientMetadata,
)

from accounts.models import Account
from apps_registry.models import AccessToken, Api, App, AuditAction, AuditEvent
from apps_registry.services import app_revoke_access
from oauth.services import initial_access_token_create
from portal.audit import AuditSource, Origin
from tests.helpers import basic, query
from tests.live_session import TIMEOUT, consent_form, submit
from tests.mcp.client import MemoryStorage, initial_access_token_hook
from tests.mcp.conftest import OPEN_REGISTRATION_ACCOUNT
from tests.served import free_port

pytestmark = pytest.mark.django_db(transaction=True)


def run(function, *args):
    """`anyio.run` in a thread of its own: the browser tests' Playwright (sync API) keeps an
    event loop running in the test thread for the whole session."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(anyio.run, function, *args).result()


# --- What the client is given ----------------------------------------------------------------


class ConsentRefused(Exception):
    """The authorization server sent the user back without a code."""


@dataclass
class User:
    """The person at the browser: opens each authorization URL the client hands over, reads
    the portal's consent page, signs in on it if need be and presses `answer` (allow or deny)."""

    browser: requests.Session
    username: str = "user"
    answer: str = "allow"
    urls: list[str] = field(default_factory=list)
    pages: list[str] = field(default_factory=list)  # the consent pages, as HTML
    locations: list[str] = field(default_factory=list)  # where the portal sent the browser back

    async def redirect_handler(self, url: str) -> None:
        self.urls.append(url)
        page = self.browser.get(url, allow_redirects=False, timeout=TIMEOUT)
        form = consent_form(page)
        self.pages.append(page.text)
        sign_in = self.answer == "allow" and "password" in form.inputs
        credentials = {"username": self.username, "password": "demo"} if sign_in else {}
        answer = submit(self.browser, form, self.answer, **credentials)
        assert answer.status_code == 302, (answer.status_code, answer.text[:2000])
        self.locations.append(answer.headers["Location"])

    async def callback_handler(self) -> AuthorizationCodeResult:
        params = {name: values[0] for name, values in query(self.locations[-1]).items()}
        if "code" not in params:
            raise ConsentRefused(params.get("error"))
        return AuthorizationCodeResult(code=params["code"], state=params.get("state"), iss=params.get("iss"))


@dataclass
class Exchange:
    """One request the client sent and the status it got."""

    method: str
    url: str  # without its query
    params: dict[str, str]  # the query, or the form or JSON body
    status: int = 0
    www_authenticate: str = ""

    def __str__(self) -> str:
        return f"{self.method} {self.url} {self.status}"


def body_of(request: httpx2.Request) -> dict:
    content = request.content.decode() if request.content else ""
    if request.headers.get("Content-Type", "").startswith("application/json"):
        return json.loads(content)
    if request.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
        return {name: values[0] for name, values in parse_qs(content).items()}
    return {}


@dataclass
class Wire:
    """Every request of the client's httpx2 client, in order, as sent (after the hook that
    presents an initial access token, when there is one)."""

    initial_access_token: str | None = None
    exchanges: list[Exchange] = field(default_factory=list)
    presented: list[Exchange] = field(default_factory=list)  # those that carried the token

    async def on_request(self, request: httpx2.Request) -> None:
        url = str(request.url.copy_with(query=None))
        params = dict(request.url.params) if request.method == "GET" else body_of(request)
        self.exchanges.append(Exchange(request.method, url, params))
        if self.initial_access_token and self.initial_access_token in request.headers.get(
            "Authorization", ""
        ):
            self.presented.append(self.exchanges[-1])

    async def on_response(self, response: httpx2.Response) -> None:
        exchange = self.exchanges[-1]
        exchange.status = response.status_code
        exchange.www_authenticate = response.headers.get("WWW-Authenticate", "")

    def since(self, start: int) -> list[Exchange]:
        return self.exchanges[start:]


@dataclass
class MCPClient:
    """An MCP client as an assistant runs one: the SDK's OAuth provider in an httpx2 client."""

    server_url: str
    provider: OAuthClientProvider
    wire: Wire
    ca: str

    async def whoami(self) -> dict:
        context = ssl.create_default_context(cafile=self.ca)
        presenting = [initial_access_token_hook(self.provider, self.wire.initial_access_token)]
        hooks = {
            "request": [*(presenting if self.wire.initial_access_token else []), self.wire.on_request],
            "response": [self.wire.on_response],
        }
        async with (
            httpx2.AsyncClient(
                auth=self.provider, verify=context, event_hooks=hooks, timeout=TIMEOUT
            ) as http,
            Client(streamable_http_client(self.server_url, http_client=http)) as mcp,
        ):
            result = await mcp.call_tool("whoami", {})
        assert not result.is_error, result
        return result.structured_content


def client_for(portal, mcp_server, user: User, *, auth_method: str, initial_access_token=None, redirect=None):
    """An MCP client that has not met the server yet: nothing stored, these client metadata.
    Without `redirect`, a native client (the SDK's default application_type) taking its code on
    a loopback port of its choosing (RFC 8252 §7.3); with one, a web client."""
    metadata = OAuthClientMetadata(
        client_name="MCP SDK test client",
        redirect_uris=[redirect or f"http://127.0.0.1:{free_port()}/callback"],
        application_type="web" if redirect else "native",
        grant_types=["authorization_code", "refresh_token"],
        response_types=["code"],
        token_endpoint_auth_method=auth_method,
    )
    storage = MemoryStorage()
    provider = OAuthClientProvider(
        server_url=mcp_server.url,
        client_metadata=metadata,
        storage=storage,
        redirect_handler=user.redirect_handler,
        callback_handler=user.callback_handler,
    )
    wire = Wire(initial_access_token)
    return MCPClient(mcp_server.url, provider, wire, str(portal.ca)), storage


def summary(exchanges: list[Exchange]) -> list[str]:
    return [str(exchange) for exchange in exchanges]


def metadata_url(mcp_url: str) -> str:
    """RFC 9728 §3.1: the well-known segment inserted before the resource's path."""
    parts = urlsplit(mcp_url)
    return f"{parts.scheme}://{parts.netloc}/.well-known/oauth-protected-resource{parts.path}"


def connect_refresh_and_revoke(
    portal, mcp_server, client: MCPClient, storage, user: User, *, registers: bool
):
    """The whole life of one MCP client's grant, as the issue asks it proven; returns the App
    the client is at the portal and the requests of its first connection."""
    mcp, portal_url = mcp_server.url, portal.url

    # 1. First call: 401, discovery, (registration,) authorization, code exchange, the call.
    assert run(client.whoami)["username"] == user.username
    first = client.wire.exchanges
    expected = [
        f"POST {mcp} 401",
        f"GET {metadata_url(mcp)} 200",
        f"GET {portal_url}/.well-known/oauth-authorization-server 200",
        *([f"POST {portal_url}/oauth/register 201"] if registers else []),
        f"POST {portal_url}/oauth/token.php 200",
        f"POST {mcp} 200",
    ]
    assert summary(first[: len(expected)]) == expected
    assert f'resource_metadata="{metadata_url(mcp)}"' in first[0].www_authenticate
    app = App.objects.get(client_id=storage.client_info.client_id)
    # The authorization request the user's browser was sent with (RFC 7636, RFC 8707).
    (url,) = user.urls
    assert url.startswith(f"{portal_url}/oauth/authorize.php?")
    sent = {name: values[0] for name, values in query(url).items()}
    assert sent["client_id"] == app.client_id
    assert sent["code_challenge_method"] == "S256" and len(sent["code_challenge"]) == 43
    assert sent["resource"] == mcp
    # RFC 9207: the code came back with the portal's issuer, which the SDK checked.
    assert query(user.locations[0])["iss"] == [portal_url]
    exchange = first[len(expected) - 2].params
    assert exchange["grant_type"] == "authorization_code"
    assert exchange["resource"] == mcp
    assert exchange["code_verifier"]
    # What the portal told the MCP server about the token.
    introspected = mcp_server.verifier.answers[-1]
    assert introspected["active"] is True
    assert introspected["client_id"] == app.client_id
    assert introspected["username"] == user.username
    assert introspected["aud"] == [mcp]

    # 2. An hour later (the client's record of the token's expiry has passed) it refreshes.
    old = storage.tokens.access_token
    client.provider.context.token_expiry_time = time.time() - 1
    start = len(client.wire.exchanges)
    assert run(client.whoami)["username"] == user.username
    refresh = client.wire.since(start)[0]
    assert str(refresh) == f"POST {portal_url}/oauth/token.php 200"
    assert refresh.params["grant_type"] == "refresh_token"
    assert refresh.params["resource"] == mcp
    assert storage.tokens.access_token != old
    assert AccessToken.objects.filter(application=app).count() == 1  # the old one is gone

    # 3. The user takes the grant back on their Authorized Apps page (design §6): its tokens
    # go, and authorize.php asks again. (Revoking only the token, RFC 7009, would not do: the
    # remembered consent would hand the client a new code without asking.) The server refuses
    # the client's token; sent back to the consent page, the user says no.
    account = Account.objects.get(username=user.username)
    app_revoke_access(actor=account, account=account, apps=[app], origin=Origin(AuditSource.PORTAL))
    assert not AccessToken.objects.filter(application=app).exists()
    user.answer = "deny"
    start = len(client.wire.exchanges)
    with pytest.raises(ExceptionGroup) as refused:  # from the client's task group
        run(client.whoami)
    assert refused.group_contains(ConsentRefused)
    after = client.wire.since(start)
    assert str(after[0]) == f"POST {mcp} 401"
    assert mcp_server.verifier.answers[-1] == {"active": False}
    assert len(user.urls) == 2
    assert query(user.locations[-1])["error"] == ["access_denied"]
    assert not AccessToken.objects.filter(application=app).exists()
    return app, first


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
