"""The official TypeScript MCP SDK (`@modelcontextprotocol/sdk`, locked in tests/mcp/typescript/,
installed by `make mcp-ts`), unchanged, in Node, against the portal served as in production
(issue 25): its own example client's OAuth provider and transport (tests/mcp/typescript/client.mjs)
connect to the MCP server of tests/mcp/server.py, the test consenting as the user's browser.
Each client goes through consent, the token endpoint, a tool call, and a refresh once the MCP
server refuses its access token:

- with `clientMetadataUrl` (a Client ID Metadata Document served over https on loopback): no
  registration request at all, the portal fetches the document;
- the same SDK against a portal that takes no metadata documents: it registers (RFC 7591);
- a public client whose redirect URL is http://localhost:<port>/callback;
- the SDK example client's own metadata (`client_secret_post`), through open registration."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from apps_registry.models import App
from tests.live_session import TIMEOUT
from tests.mcp.harness import User, run
from tests.served import free_port, missing_runtime

pytestmark = pytest.mark.django_db(transaction=True)

HERE = Path(__file__).resolve().parent / "typescript"
SDK = HERE / "node_modules" / "@modelcontextprotocol" / "sdk" / "package.json"


@pytest.fixture(scope="module")
def node() -> str:
    found = shutil.which("node")
    if not found or not SDK.exists():
        missing_runtime("needs Node and the TypeScript MCP SDK: make mcp-ts")
    return found


def example_metadata(redirect: str, method: str) -> dict:
    """The client metadata of the SDK's examples/client/simpleOAuthClient.js, with its redirect."""
    return {
        "client_name": "Simple OAuth MCP Client",
        "redirect_uris": [redirect],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": method,
    }


def connect(
    node, portal, mcp_server, user: User, metadata: dict, redirect: str, metadata_url=None
) -> list[dict]:
    """Run the SDK's client: consent when it asks (following the redirect back to its callback
    server, as the browser does), and return what it printed."""
    options = {"server": mcp_server.url, "redirect": redirect, "metadata": metadata}
    if metadata_url:
        options["clientMetadataUrl"] = metadata_url
    env = {**os.environ, "NODE_EXTRA_CA_CERTS": str(portal.ca)}
    process = subprocess.Popen(  # noqa: S603 (node, our script)
        [node, "client.mjs", json.dumps(options)],
        cwd=HERE,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines = []
    try:
        for line in process.stdout:
            said = json.loads(line)
            lines.append(said)
            if "authorize" in said:
                run(user.redirect_handler, said["authorize"])
                back = user.browser.get(user.locations[-1], timeout=TIMEOUT)  # to the SDK's callback
                assert back.status_code == 200, back.text
        assert process.wait(TIMEOUT) == 0, process.stderr.read()
    finally:
        process.kill()
    return lines


def posts_to_register(portal, since: int) -> int:
    return sum('"POST /oauth/register ' in line for line in portal.log[since:])


def assert_whole_life(lines: list[dict], user: User) -> None:
    first, refreshed = lines[-2], lines[-1]
    assert first["whoami"]["username"] == user.username
    assert refreshed["whoami"]["username"] == user.username and refreshed["refreshed"] is True
    assert len(user.urls) == 1  # consent once: the refresh asked nobody


def test_the_sdk_uses_its_metadata_document_and_registers_nothing(
    node, portal, mcp_server, browser, documents
):
    redirect = f"http://localhost:{free_port()}/callback"
    url = documents.url("/ts-sdk-client.json")
    metadata = example_metadata(redirect, "none") | {"client_name": "TypeScript MCP host"}
    documents.serve_json("/ts-sdk-client.json", {"client_id": url, **metadata})
    user, since = User(browser), len(portal.log)

    lines = connect(node, portal, mcp_server, user, metadata, redirect, metadata_url=url)

    assert_whole_life(lines, user)
    assert lines[-2]["client_id"] == url
    assert posts_to_register(portal, since) == 0
    app = App.objects.get(client_id=url)
    assert app.is_metadata_document and app.is_public and app.unverified and app.name == "TypeScript MCP host"
    assert 'id="metadata-host">Served by <strong class="text-break">localhost</strong>' in user.pages[0]
    assert ("/ts-sdk-client.json", f"localhost:{documents.port}", "") in documents.requests


def test_without_metadata_documents_the_sdk_falls_back_to_registration(
    node, portal_without_documents, mcp_server_without_documents, browser, documents
):
    portal, redirect = portal_without_documents, f"http://localhost:{free_port()}/callback"
    url = documents.url("/unused-client.json")
    user, since = User(browser), len(portal.log)

    lines = connect(
        node, portal, mcp_server_without_documents, user, example_metadata(redirect, "none"), redirect, url
    )

    assert_whole_life(lines, user)
    assert posts_to_register(portal, since) == 1
    app = App.objects.get(client_id=lines[-2]["client_id"])
    assert app.registration_source == App.RegistrationSource.DCR and app.is_public
    assert ("/unused-client.json", f"localhost:{documents.port}", "") not in documents.requests


def test_a_public_client_on_http_localhost(node, portal, mcp_server, browser):
    redirect = f"http://localhost:{free_port()}/callback"
    user = User(browser)

    lines = connect(node, portal, mcp_server, user, example_metadata(redirect, "none"), redirect)

    assert_whole_life(lines, user)
    app = App.objects.get(client_id=lines[-2]["client_id"])
    assert app.redirect_uri == redirect and app.is_public


def test_the_sdk_example_clients_own_metadata_client_secret_post(node, portal, mcp_server, browser):
    redirect = f"http://localhost:{free_port()}/callback"
    user, since = User(browser), len(portal.log)

    lines = connect(
        node, portal, mcp_server, user, example_metadata(redirect, "client_secret_post"), redirect
    )

    assert_whole_life(lines, user)
    assert posts_to_register(portal, since) == 1
    app = App.objects.get(client_id=lines[-2]["client_id"])
    assert not app.is_public and app.unverified and app.redirect_uri == redirect
    assert "Unverified developer" in user.pages[0]
