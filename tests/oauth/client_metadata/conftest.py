"""Client ID Metadata Documents in-process (design §6.2): the portal's own views through the
test client, and the documents on a real HTTPS server of the tests (tests/served.py's
DocumentServer) with a certificate of a throwaway CA that the fetch trusts as production trusts
the system's store: through SSL_CERT_FILE.

No test here may reach an address off this machine: `no_network` refuses every connection to
an address that is not loopback, and `internet` stands a loopback server in for a public
address (PUBLIC), so the production rule (loopback refused) is tested over a real connection."""

from __future__ import annotations

import ipaddress
import socket

import pytest

from tests.served import DocumentServer, loopback_tls

# A public address that no test ever reaches: `internet` connects it to the document server.
PUBLIC = "8.8.8.8"
# Host names the tests resolve themselves (getaddrinfo is answered by `dns`).
NAMES = ("public.test", "rebind.test", "split.test")
ACCOUNT = "organization"


@pytest.fixture(scope="session")
def tls(tmp_path_factory):
    return loopback_tls(tmp_path_factory.mktemp("tls"), names=NAMES)


@pytest.fixture(scope="session")
def documents(tls):
    server = DocumentServer(tls)
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def fresh_documents(documents):
    documents.answers.clear()
    documents.requests.clear()


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Every connection the code under test opens goes to loopback (or to PUBLIC, which
    `internet` maps to loopback); anything else fails the test before a packet leaves."""
    real = socket.create_connection
    mapped: dict[str, str] = {}

    def connect(address, *args, **kwargs):
        host, port = address[0], address[1]
        target = mapped.get(host, host)
        try:
            loopback = ipaddress.ip_address(target).is_loopback
        except ValueError:
            loopback = target == "localhost"
        assert loopback, f"the fetch tried to connect to {host}"
        return real((target, port), *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", connect)
    return mapped


@pytest.fixture
def internet(no_network):
    """PUBLIC answers: a connection to it reaches the document server on 127.0.0.1."""
    no_network[PUBLIC] = "127.0.0.1"


@pytest.fixture
def dns(monkeypatch):
    """The answers to getaddrinfo for NAMES: `dns["public.test"] = ["8.8.8.8", "10.0.0.1"]`
    answers each in turn, the last one from then on; `dns.asked` counts the questions."""
    real = socket.getaddrinfo

    class Answers(dict):
        asked: dict[str, int] = {}

    answers = Answers()
    answers.asked = {}

    def getaddrinfo(host, port, *args, **kwargs):
        if host not in answers:
            return real(host, port, *args, **kwargs)
        answers.asked[host] = answers.asked.get(host, 0) + 1
        sequence = answers[host]
        address = sequence[min(answers.asked[host], len(sequence)) - 1]
        addresses = address if isinstance(address, list) else [address]
        return [
            (
                socket.AF_INET6 if ":" in each else socket.AF_INET,
                socket.SOCK_STREAM,
                socket.IPPROTO_TCP,
                "",
                (each, port, 0, 0) if ":" in each else (each, port),
            )
            for each in addresses
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers


@pytest.fixture
def cimd(settings, monkeypatch, tls, demo):
    """Metadata documents on, owned by the demo Organization, fetched from loopback (the
    development switch), trusting the tests' CA through SSL_CERT_FILE."""
    settings.OAUTH_CLIENT_METADATA_ACCOUNT = ACCOUNT
    settings.OAUTH_CLIENT_METADATA_ALLOW_LOOPBACK = True
    monkeypatch.setenv("SSL_CERT_FILE", str(tls.ca))
    from django.core.cache import cache

    cache.clear()  # the failures remembered by other tests
    return demo[ACCOUNT]


@pytest.fixture
def short_deadline(settings):
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "CIMD_FETCH_TIMEOUT_SECONDS": 1.0}


def document(url: str, **changes) -> dict:
    """A client's metadata document as the TypeScript MCP SDK's examples publish one."""
    body = {
        "client_id": url,
        "client_name": "Example MCP Host",
        "client_uri": "https://host.example/",
        "redirect_uris": ["http://localhost:8090/callback"],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
    }
    body.update(changes)
    return {key: value for key, value in body.items() if value is not None}
