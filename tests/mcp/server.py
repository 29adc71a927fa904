"""A small MCP server, built with the official SDK (`mcp`), as a VoipNow tool server would be
deployed: its own resource (RFC 9728 metadata naming the portal as its authorization server)
that checks each bearer token with the portal's introspection (RFC 7662), authenticating as a
resource-server App. One tool, `whoami`, answers who the token acts for.

The tests serve it over HTTPS on loopback from a thread (uvicorn), with a certificate from the
tests' CA. It also runs on its own, against a portal of `make run` (README, "Connect an MCP
client"):

    .venv/bin/python -m tests.mcp.server --portal http://127.0.0.1:8000 --port 8001 \
        --client-id KEY --client-secret SECRET
"""

from __future__ import annotations

import argparse
import ssl
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx2
import uvicorn
from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.provider import AccessToken, TokenVerifier
from mcp.server.auth.settings import AuthSettings
from mcp.server.mcpserver import MCPServer
from pydantic import BaseModel

MCP_PATH = "/mcp"
SCOPE = "unifiedapi"  # the API whose tokens this server takes


@dataclass
class PortalIntrospection(TokenVerifier):
    """Asks the portal's /oauth/introspect about each token, as the resource-server App
    `client_id`. A token is accepted when it is active, for UnifiedAPI, and issued for this
    server: its audience (`aud`, RFC 8707's resource recorded with the token) names `resource`.
    Every answer is kept in `answers`, for the tests to see what the portal said."""

    introspection_endpoint: str
    client_id: str
    client_secret: str
    resource: str
    ca: Path | None = None  # the CA the portal's certificate is checked against; None: the system's
    answers: list[dict] = field(default_factory=list)

    async def verify_token(self, token: str) -> AccessToken | None:
        context = ssl.create_default_context(cafile=str(self.ca) if self.ca else None)
        async with httpx2.AsyncClient(verify=context, timeout=10) as client:
            response = await client.post(
                self.introspection_endpoint,
                data={"token": token},
                auth=(self.client_id, self.client_secret),
            )
        if response.status_code != 200:
            self.answers.append({"status": response.status_code})
            return None
        body = response.json()
        self.answers.append(body)
        if not body.get("active") or body.get("api") != SCOPE:
            return None
        audience = body.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        return AccessToken(
            token=token,
            client_id=body["client_id"],
            scopes=(body.get("scope") or "").split(),
            expires_at=body.get("exp"),
            # The bearer middleware compares this with resource_server_url.
            resource=self.resource if self.resource in audiences else None,
            subject=body.get("sub"),
            claims={"iss": body.get("iss"), "username": body["username"], "account": body.get("account")},
        )


class Identity(BaseModel):
    """What `whoami` answers."""

    username: str  # the account the token acts for
    client_id: str  # the App it was issued to


def build_server(*, issuer: str, public_url: str, verifier: PortalIntrospection) -> MCPServer:
    """The MCP server: the resource `public_url + /mcp`, whose tokens come from `issuer`."""
    server = MCPServer(
        "VoipNow test tools",
        token_verifier=verifier,
        # Strings, not AnyHttpUrl objects: AuthSettings keeps a path-less issuer as it is given
        # (no trailing slash), and the client compares the metadata's issuer with it exactly.
        auth=AuthSettings(
            issuer_url=issuer,
            resource_server_url=public_url + MCP_PATH,
            required_scopes=[SCOPE],
            # Refuse a token the portal issued for another resource (RFC 8707 audience).
            validate_token_resource=True,
        ),
    )

    @server.tool()
    def whoami() -> Identity:
        """The VoipNow account this session's access token acts for."""
        token = get_access_token()
        assert token is not None  # the bearer middleware let the request in
        return Identity(username=token.claims["username"], client_id=token.client_id)

    return server


class ServedMCP:
    """The MCP server of `verifier` at `url` (on 127.0.0.1; HTTPS when given a certificate and
    its key), from a uvicorn thread, until `stop()`."""

    def __init__(
        self,
        *,
        issuer: str,
        url: str,
        verifier: PortalIntrospection,
        certificate: Path | None = None,
        key: Path | None = None,
    ) -> None:
        public_url, port = url.removesuffix(MCP_PATH), urlsplit(url).port
        server = build_server(issuer=issuer, public_url=public_url, verifier=verifier)
        app = server.streamable_http_app(streamable_http_path=MCP_PATH, host="127.0.0.1")
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            ssl_certfile=str(certificate) if certificate else None,
            ssl_keyfile=str(key) if key else None,
            log_level="warning",
            lifespan="on",
        )
        self.uvicorn = uvicorn.Server(config)
        self.url, self.verifier, self.ca = url, verifier, verifier.ca
        self.thread = threading.Thread(target=self.uvicorn.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.uvicorn.started:
            assert self.thread.is_alive() and time.monotonic() < deadline, "the MCP server did not start"
            time.sleep(0.02)

    def stop(self) -> None:
        self.uvicorn.should_exit = True
        self.thread.join(30)


def main() -> None:

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--portal", default="http://127.0.0.1:8000", help="the portal's OAUTH_ISSUER")
    parser.add_argument("--port", type=int, default=8001, help="where to serve /mcp on 127.0.0.1")
    parser.add_argument("--client-id", required=True, help="a resource-server App's key")
    parser.add_argument("--client-secret", required=True, help="and its secret")
    parser.add_argument("--ca", type=Path, help="a CA file to check the portal's certificate with")
    parser.add_argument("--certfile", type=Path, help="serve HTTPS with this certificate")
    parser.add_argument("--keyfile", type=Path, help="and this key")
    options = parser.parse_args()
    portal = options.portal.rstrip("/")
    scheme = "https" if options.certfile else "http"
    url = f"{scheme}://127.0.0.1:{options.port}{MCP_PATH}"
    verifier = PortalIntrospection(
        introspection_endpoint=f"{portal}/oauth/introspect",
        client_id=options.client_id,
        client_secret=options.client_secret,
        resource=url,
        ca=options.ca,
    )
    served = ServedMCP(
        issuer=portal, url=url, verifier=verifier, certificate=options.certfile, key=options.keyfile
    )
    print(f"MCP server at {url} (tokens from {portal}); Ctrl-C stops it.", flush=True)
    try:
        served.thread.join()
    except KeyboardInterrupt:
        served.stop()


if __name__ == "__main__":
    main()
