"""The Model Context Protocol proof (issues 17 and 25): the portal served as in production
(gunicorn, DEBUG off, TLS from a throwaway CA on loopback) on the test database, and an MCP
server built with the official SDK (tests/mcp/server.py) on its own loopback address, whose URL
the portal knows as a resource (RFC 8707) of UnifiedAPI's tokens. `portal` takes Client ID
Metadata Documents (from `documents`, an HTTPS server of the tests on loopback: the development
switch, and the CA trusted through SSL_CERT_FILE as production trusts the system's store);
`portal_without_documents` (with its own MCP server) does not."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from accounts.models import Account
from apps_registry import services
from apps_registry.models import Api, App
from portal.audit import COMMAND_LINE
from tests.factories import AppFactory
from tests.live_session import BrowserSession
from tests.mcp.server import MCP_PATH, PortalIntrospection, ServedMCP
from tests.served import (
    PROJECT,
    DocumentServer,
    Gunicorn,
    TLSFiles,
    free_port,
    loopback_tls,
    served_portal_env,
)

# Who owns the Apps that open registration creates, when the operator turns it on.
OPEN_REGISTRATION_ACCOUNT = "organization"


@dataclass
class Portal:
    url: str  # https://127.0.0.1:<port>, also its issuer identifier (OAUTH_ISSUER)
    ca: Path  # the CA file every client is told to trust
    log: list[str]  # gunicorn's output: its access log


@pytest.fixture(scope="session")
def tls(tmp_path_factory) -> TLSFiles:
    return loopback_tls(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="session")
def mcp_url() -> str:
    """Where the MCP server answers: fixed for the run, as the portal is told it at start."""
    return f"https://127.0.0.1:{free_port()}{MCP_PATH}"


def serve_portal(tls: TLSFiles, mcp_url: str, static_root: Path, **settings: str):
    """The portal as deployment.md runs it, minus the proxy, with discovery configured (its
    issuer, the MCP server as one more UnifiedAPI resource) and open registration turned on
    for the demo Organization; `settings` on top. Yields the Portal, then stops it."""
    port = free_port()
    url = f"https://127.0.0.1:{port}"
    env = served_portal_env(
        static_root,
        OAUTH_ISSUER=url,
        OAUTH_EXTRA_RESOURCES=f"{Api.UNIFIEDAPI}={mcp_url}",
        OAUTH_OPEN_REGISTRATION_ACCOUNT=OPEN_REGISTRATION_ACCOUNT,
        **settings,
    )
    # The consent page's assets, as deployment.md collects them (DEBUG off serves the manifest).
    done = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, (done.stdout, done.stderr)
    server = Gunicorn(env, "--certfile", str(tls.certificate), "--keyfile", str(tls.key), port=port)
    try:
        yield Portal(url=url, ca=tls.ca, log=server.log)
    finally:
        server.stop()


@pytest.fixture(scope="session")
def documents(tls) -> DocumentServer:
    """Where MCP hosts publish their Client ID Metadata Documents: https://localhost:<port>/..."""
    server = DocumentServer(tls)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def portal(django_db_setup, django_db_blocker, tls, mcp_url, tmp_path_factory) -> Portal:
    """Open registration, and Client ID Metadata Documents owned by the demo Organization."""
    yield from serve_portal(
        tls,
        mcp_url,
        tmp_path_factory.mktemp("static"),
        OAUTH_CLIENT_METADATA_ACCOUNT=OPEN_REGISTRATION_ACCOUNT,
        OAUTH_CLIENT_METADATA_ALLOW_LOOPBACK="true",
        SSL_CERT_FILE=str(tls.ca),
    )


@pytest.fixture(scope="session")
def other_mcp_url() -> str:
    return f"https://127.0.0.1:{free_port()}{MCP_PATH}"


@pytest.fixture(scope="session")
def portal_without_documents(django_db_setup, django_db_blocker, tls, other_mcp_url, tmp_path_factory):
    """Open registration only: metadata documents off (the default)."""
    yield from serve_portal(tls, other_mcp_url, tmp_path_factory.mktemp("static"))


@pytest.fixture
def resource_server(demo) -> App:
    """The MCP server's credentials at the portal: a UnifiedAPI App of the demo Organization
    that the demo Administrator marked as a resource server, so it may introspect the tokens
    of every App in the Administrator's tree."""
    app = AppFactory(owner=demo["organization"], api=Api.UNIFIEDAPI, name="VoipNow MCP server")
    return services.app_update(actor=demo["admin"], app=app, origin=COMMAND_LINE, resource_server=True)


def serve_mcp(portal, tls, mcp_url, resource_server):
    verifier = PortalIntrospection(
        introspection_endpoint=f"{portal.url}/oauth/introspect",
        client_id=resource_server.client_id,
        client_secret=resource_server.client_secret,
        resource=mcp_url,
        ca=portal.ca,
    )
    served = ServedMCP(
        issuer=portal.url, url=mcp_url, verifier=verifier, certificate=tls.certificate, key=tls.key
    )
    try:
        yield served
    finally:
        served.stop()


@pytest.fixture
def mcp_server(portal, tls, mcp_url, resource_server):
    """The MCP server, checking tokens with the portal as `resource_server`; its `verifier`
    keeps every introspection answer."""
    yield from serve_mcp(portal, tls, mcp_url, resource_server)


@pytest.fixture
def mcp_server_without_documents(portal_without_documents, tls, other_mcp_url, resource_server):
    yield from serve_mcp(portal_without_documents, tls, other_mcp_url, resource_server)


class HTTPSBrowser(BrowserSession):
    """A browser on an https page: a form it posts carries the page's Origin, which Django's
    CSRF check demands of a secure request (with no Origin, a matching Referer)."""

    def prepare_request(self, request):
        prepared = super().prepare_request(request)
        if prepared.method == "POST":
            parts = urlsplit(prepared.url)
            prepared.headers["Origin"] = f"{parts.scheme}://{parts.netloc}"
        return prepared


@pytest.fixture
def browser(portal, demo) -> BrowserSession:
    """The browser of the demo User ("user", password "demo"), trusting the portal's CA (and
    only it: REQUESTS_CA_BUNDLE in the environment would otherwise win over the session's own
    setting). The password is hashed as the portal process checks it: the test settings'
    fast hasher is not among the production settings' hashers."""
    password = PBKDF2PasswordHasher().encode("demo", PBKDF2PasswordHasher().salt())
    Account.objects.filter(username="user").update(password=password)
    with HTTPSBrowser() as session:
        session.trust_env = False
        session.verify = str(portal.ca)
        yield session
