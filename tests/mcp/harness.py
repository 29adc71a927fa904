"""The official MCP SDK's client as the tests drive it (test_mcp_sdk.py): the person at the
browser who consents (User), the record of every request the client sends (Wire), an MCP
client that has not met the server yet (client_for), and the whole life of one grant checked
step by step (connect_refresh_and_revoke)."""

from __future__ import annotations

import json
import ssl
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import anyio
import httpx2
import pytest
import requests
from mcp import Client
from mcp.client.auth import OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import AuthorizationCodeResult, OAuthClientMetadata

from accounts.models import Account
from apps_registry.models import AccessToken, App
from apps_registry.services import app_revoke_access
from portal.audit import AuditSource, Origin
from tests.helpers import query
from tests.live_session import TIMEOUT, consent_form, submit
from tests.mcp.client import MemoryStorage, initial_access_token_hook
from tests.served import free_port


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


def client_for(
    portal,
    mcp_server,
    user: User,
    *,
    auth_method: str,
    initial_access_token=None,
    redirect=None,
    metadata_url=None,
):
    """An MCP client that has not met the server yet: nothing stored, these client metadata.
    Without `redirect`, a native client (the SDK's default application_type) taking its code on
    a loopback port of its choosing (RFC 8252 §7.3); with one, a web client. `metadata_url`: the
    URL of its Client ID Metadata Document (the SDK's client_metadata_url)."""
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
        client_metadata_url=metadata_url,
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
    assert refused.group_contains(ConsentRefused), repr(refused.value.exceptions)
    after = client.wire.since(start)
    assert str(after[0]) == f"POST {mcp} 401"
    assert mcp_server.verifier.answers[-1] == {"active": False}
    assert len(user.urls) == 2
    assert query(user.locations[-1])["error"] == ["access_denied"]
    assert not AccessToken.objects.filter(application=app).exists()
    return app, first
