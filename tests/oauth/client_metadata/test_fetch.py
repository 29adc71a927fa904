"""The fetch of a Client ID Metadata Document is the attack surface (design §6.2,
oauth/client_metadata/fetch.py): each class of address that is not public is refused before
any connection; the host is resolved once and the connection pinned to that address; no
redirect is followed; the size, the deadline (over the whole body too), the media type and the
certificate are enforced. Each test asks the fetcher directly, as the App loading does."""

from __future__ import annotations

import time

import pytest

from oauth.client_metadata import MetadataDocumentError, MetadataFetcher
from oauth.client_metadata.fetch import address_problem, max_age
from tests.oauth.client_metadata.conftest import PUBLIC, document
from tests.served import Answer

pytestmark = pytest.mark.django_db

REFUSED = {
    "127.0.0.1": "loopback",
    "127.8.9.10": "loopback",
    "::1": "loopback",
    "10.0.0.1": "private",
    "172.16.5.4": "private",
    "192.168.1.1": "private",
    "fc00::1": "private",
    "169.254.169.254": "link-local",  # cloud metadata
    "fe80::1": "link-local",
    "100.64.0.1": "shared (carrier-grade NAT)",
    "224.0.0.1": "multicast",
    "ff02::1": "multicast",
    "240.0.0.1": "reserved",
    "0.0.0.0": "unspecified",  # noqa: S104 - an address under test
    "::": "unspecified",
    "::ffff:127.0.0.1": "IPv6 embedding a loopback",
    "::ffff:10.0.0.1": "IPv6 embedding a private",
    "::ffff:169.254.169.254": "IPv6 embedding a link-local",
    "64:ff9b::a9fe:a9fe": "IPv6 embedding a link-local",  # NAT64 of 169.254.169.254
    "2002:a00:1::1": "IPv6 embedding a private",  # 6to4 of 10.0.0.1
}


def fetch(url: str):
    return MetadataFetcher().fetch(url)


@pytest.mark.parametrize(("address", "kind"), REFUSED.items())
def test_each_class_of_address_is_named_and_refused(address, kind):
    assert kind in address_problem(address)


@pytest.mark.parametrize("address", ["8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"])
def test_public_addresses_pass(address):
    assert address_problem(address) is None


@pytest.mark.parametrize("address", list(REFUSED))
def test_a_host_resolving_to_a_refused_address_is_never_connected_to(cimd, settings, dns, address):
    settings.OAUTH_CLIENT_METADATA_ALLOW_LOOPBACK = False
    dns["public.test"] = [address]
    with pytest.raises(MetadataDocumentError) as refused:
        fetch("https://public.test/client.json")
    assert "which is refused" in str(refused.value)  # no_network: nothing was connected to


def test_a_public_answer_beside_a_private_one_refuses_the_host(cimd, settings, dns, internet):
    settings.OAUTH_CLIENT_METADATA_ALLOW_LOOPBACK = False
    dns["split.test"] = [[PUBLIC, "10.0.0.1"]]
    with pytest.raises(MetadataDocumentError, match="a private address"):
        fetch("https://split.test/client.json")


def test_the_development_switch_lets_loopback_through_and_nothing_else(cimd, dns, documents):
    url = documents.serve_json("/client.json", document("x"))
    assert fetch(url)[0]["client_name"] == "Example MCP Host"  # localhost, while the switch is on
    dns["public.test"] = ["10.0.0.1"]
    with pytest.raises(MetadataDocumentError, match="private"):
        fetch("https://public.test/client.json")


def test_a_public_host_is_fetched_over_a_pinned_connection(cimd, settings, dns, internet, documents):
    """Resolved to a public address, then (rebinding) to a private one: the one answer checked is
    the one connected to, with the real name in SNI, the certificate and Host."""
    settings.OAUTH_CLIENT_METADATA_ALLOW_LOOPBACK = False
    dns["rebind.test"] = [PUBLIC, "10.0.0.1"]
    url = documents.serve_json("/client.json", document("x"), host=f"rebind.test:{documents.port}")
    url = f"https://rebind.test:{documents.port}/client.json"

    body, _ = fetch(url)

    assert body["client_name"] == "Example MCP Host"
    assert dns.asked["rebind.test"] == 1  # resolved once: the second answer never used
    assert documents.requests[-1][:2] == ("/client.json", f"rebind.test:{documents.port}")


def test_a_redirect_is_not_followed(cimd, documents):
    target = documents.serve_json("/real.json", document("x"))
    url = documents.serve("/moved", Answer(b"", 302, {"Location": target}))
    with pytest.raises(MetadataDocumentError, match="HTTP 302: redirects are not followed"):
        fetch(url)
    assert [path for path, *_ in documents.requests] == ["/moved"]


@pytest.mark.parametrize("declared", [True, False], ids=["Content-Length", "no length"])
def test_an_oversized_document_is_refused(cimd, documents, declared):
    body = b'{"client_name": "' + b"x" * 6000 + b'"}'
    headers = {"Content-Type": "application/json"}
    if not declared:
        headers["Content-Length"] = "10"  # a lie: only what is read counts
        headers["Connection"] = "close"
    url = documents.serve("/big.json", Answer(body, headers=headers))
    if declared:
        with pytest.raises(MetadataDocumentError, match="larger than 5120 bytes"):
            fetch(url)
    else:
        with pytest.raises(MetadataDocumentError):
            fetch(url)  # what arrives is cut at the declared 10 bytes: not JSON


def test_a_document_without_a_length_larger_than_the_limit_is_cut(cimd, documents):
    body = b'{"a": "' + b"x" * 6000 + b'"}'
    url = documents.serve(
        "/stream.json",
        Answer(body, headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked"}),
    )
    # The server sends the bytes unchunked with a Content-Length too; either way the limit holds.
    with pytest.raises(MetadataDocumentError, match="larger than"):
        fetch(url)


def test_a_slow_server_is_given_up_on_at_the_deadline(cimd, short_deadline, documents):
    url = documents.serve("/slow.json", Answer(b"{}", headers={"Content-Type": "application/json"}, delay=3))
    started = time.monotonic()
    with pytest.raises(MetadataDocumentError, match="did not answer within 1 seconds"):
        fetch(url)
    assert time.monotonic() - started < 2.5


def test_a_trickling_body_is_given_up_on_at_the_deadline(cimd, short_deadline, documents):
    body = b'{"client_name": "' + b"x" * 200 + b'"}'
    url = documents.serve("/drip.json", Answer(body, headers={"Content-Type": "application/json"}, drip=0.05))
    started = time.monotonic()
    with pytest.raises(MetadataDocumentError, match="did not answer within"):
        fetch(url)
    assert time.monotonic() - started < 2.5  # the whole body within the deadline, not each read


@pytest.mark.parametrize(
    ("content_type", "body", "why"),
    [
        ("text/html", b"<html>{}</html>", "not JSON (Content-Type text/html)"),
        ("", b"{}", "not JSON (Content-Type missing)"),
        ("application/json", b"{not json", "not valid JSON"),
        ("application/json", b'["a", "list"]', "not a JSON object"),
        ("application/json", b"\xff\xfe{}", "not valid JSON"),
    ],
)
def test_only_a_json_object_is_a_document(cimd, documents, content_type, body, why):
    headers = {"Content-Type": content_type} if content_type else {}
    url = documents.serve("/doc", Answer(body, headers=headers))
    with pytest.raises(MetadataDocumentError, match=why.replace("(", r"\(").replace(")", r"\)")):
        fetch(url)


def test_a_json_suffix_media_type_is_json(cimd, documents):
    url = documents.serve("/doc", Answer(b'{"a": 1}', headers={"Content-Type": "application/client+json"}))
    assert fetch(url)[0] == {"a": 1}


def test_a_certificate_the_trust_store_does_not_vouch_for_is_refused(cimd, monkeypatch, documents, tmp_path):
    other = tmp_path / "empty.pem"
    from tests.served import loopback_tls

    other_ca = loopback_tls(tmp_path).ca  # another CA: not the one that issued the server's
    monkeypatch.setenv("SSL_CERT_FILE", str(other_ca))
    url = documents.serve_json("/client.json", document("x"))
    with pytest.raises(MetadataDocumentError, match="certificate could not be verified"):
        fetch(url)
    assert not other.exists()


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://localhost/client.json", "not an https URL"),
        ("https://localhost", "no path"),
        ("https://localhost/", "no path"),
        ("https://user:pw@localhost/client.json", "user name or password"),
        ("https://localhost/client.json#x", "fragment"),
        ("https://localhost/a/../client.json", "dot segments"),
        ("https://localhost/" + "a" * 260, "longer than 255"),
        ("https://localhost:99999/client.json", "not a URL"),
    ],
)
def test_a_url_that_cannot_name_a_document_is_refused_before_any_lookup(cimd, url, why):
    with pytest.raises(MetadataDocumentError, match=why):
        fetch(url)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        (None, 86400),
        ("max-age=600", 600),
        ("public, max-age=30", 300),  # at least 5 minutes
        ("max-age=31536000", 86400),  # at most a day
        ("no-store", 300),
        ("no-cache, max-age=3600", 300),
    ],
)
def test_the_cache_lifetime_is_bounded(header, seconds):
    assert max_age(header) == seconds
