"""An MCP client for trying the portal by hand: the official SDK's OAuth client, unchanged, as
a native App (RFC 8252) that takes its code on a loopback port. It registers itself (open
registration, or with an initial access token), prints the authorization URL to open in a
browser, waits for the code, calls the server's `whoami` and prints the answer.

    .venv/bin/python -m tests.mcp.client http://127.0.0.1:8001/mcp [--initial-access-token iat_...]

The tests (test_mcp_sdk.py) use its TokenStorage and its initial access token hook.
"""

from __future__ import annotations

import argparse
import json
import threading
import webbrowser
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlsplit

import anyio
import httpx2
from mcp import Client
from mcp.client.auth import OAuthClientProvider, TokenStorage
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import (
    AuthorizationCodeResult,
    OAuthClientInformationFull,
    OAuthClientMetadata,
    OAuthToken,
)


class MemoryStorage(TokenStorage):
    """The SDK's TokenStorage, in memory: what a desktop client would keep between runs."""

    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client_info: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client_info

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client_info = client_info


def initial_access_token_hook(provider: OAuthClientProvider, token: str):
    """An httpx2 request hook that presents `token` (RFC 7591 §3: `Authorization: Bearer`) on
    the request to the registration endpoint the SDK discovered, and on no other request. The
    SDK has no setting for an initial access token; it is the client's to add."""

    async def present(request: httpx2.Request) -> None:
        metadata = provider.context.oauth_metadata
        endpoint = metadata and metadata.registration_endpoint
        if request.method == "POST" and endpoint and request.url == httpx2.URL(str(endpoint)):
            request.headers["Authorization"] = f"Bearer {token}"

    return present


class LoopbackCallback:
    """The redirect URL http://127.0.0.1:<free port>/callback, served until the browser
    arrives with the authorization response."""

    def __init__(self) -> None:
        self.answer: dict[str, str] = {}
        callback = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                if parts.path != "/callback":
                    self.send_error(404)
                    return
                callback.answer = {name: values[0] for name, values in parse_qs(parts.query).items()}
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.end_headers()
                self.wfile.write(b"Done: you can close this tab and go back to the MCP client.")

            def log_message(self, *args) -> None:  # the code is in the URL: never logged
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.uri = f"http://127.0.0.1:{self.server.server_port}/callback"

    def _serve_until_answered(self) -> None:
        while not self.answer:
            self.server.handle_request()
        self.server.server_close()

    async def wait(self) -> AuthorizationCodeResult:
        await anyio.to_thread.run_sync(self._serve_until_answered)
        if "code" not in self.answer:
            raise SystemExit(
                f"No code: {self.answer.get('error')} {self.answer.get('error_description', '')}"
            )
        return AuthorizationCodeResult(
            code=self.answer["code"], state=self.answer.get("state"), iss=self.answer.get("iss")
        )


async def redirect(url: str) -> None:
    print(f"Open this URL in your browser, sign in and allow:\n\n  {url}\n", flush=True)
    threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()


async def whoami(server_url: str, initial_access_token: str | None) -> dict:
    callback = LoopbackCallback()
    provider = OAuthClientProvider(
        server_url=server_url,
        client_metadata=OAuthClientMetadata(
            client_name="MCP SDK client (tests/mcp/client.py)",
            redirect_uris=[callback.uri],
            token_endpoint_auth_method="none",
        ),
        storage=MemoryStorage(),
        redirect_handler=redirect,
        callback_handler=callback.wait,
    )
    hooks = {"request": [initial_access_token_hook(provider, initial_access_token)]}
    http = httpx2.AsyncClient(auth=provider, event_hooks=hooks if initial_access_token else {}, timeout=30)
    async with http, Client(streamable_http_client(server_url, http_client=http)) as mcp:
        result = await mcp.call_tool("whoami", {})
    return result.structured_content


def main() -> None:
    parser = argparse.ArgumentParser(description="Connect to an MCP server whose tokens the portal issues.")
    parser.add_argument("server_url", help="the MCP server, e.g. http://127.0.0.1:8001/mcp")
    parser.add_argument("--initial-access-token", help="register with it rather than openly")
    options = parser.parse_args()
    print(json.dumps(anyio.run(whoami, options.server_url, options.initial_access_token)))


if __name__ == "__main__":
    main()
