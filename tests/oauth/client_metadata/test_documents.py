"""What a Client ID Metadata Document becomes (design §6.2, oauth/client_metadata/documents.py),
through the portal's own endpoints: authorize.php fetches it and shows its host, the developer
unverified and where the browser goes next; the token endpoint knows the client by its URL;
the document is an App of the owning account (source "metadata document"), kept fresh within
bounds; every failure is an error page at authorize.php and invalid_client at the token
endpoint, never a redirect; the limits hold."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apps_registry.models import AccessToken, App, AuditEvent, MetadataFetch
from oauth.client_metadata import metadata_host_allow, metadata_host_refuse
from portal.audit import COMMAND_LINE, AuditSource
from tests.helpers import TOKEN_URL, query, s256
from tests.oauth.client_metadata.conftest import document
from tests.served import Answer

pytestmark = pytest.mark.django_db

AUTHORIZE = "/oauth/authorize.php"
VERIFIER = "v" * 64
REDIRECT = "http://localhost:8090/callback"


def authorize(client, url: str, redirect_uri: str = REDIRECT, **extra):
    params = {
        "response_type": "code",
        "client_id": url,
        "redirect_uri": redirect_uri,
        "state": "s",
        "code_challenge": s256(VERIFIER),
        "code_challenge_method": "S256",
        **extra,
    }
    return client.get(
        AUTHORIZE, {name: value for name, value in params.items() if value is not None}, secure=True
    )


def consent_and_exchange(client, user, url: str, redirect_uri: str = REDIRECT) -> dict:
    client.force_login(user)
    page = authorize(client, url, redirect_uri)
    assert page.status_code == 200, page.content
    allowed = client.post(AUTHORIZE, {"request": page.context["blob"], "action": "allow"}, secure=True)
    code = query(allowed["Location"])["code"][0]
    client.logout()
    answer = client.post(
        TOKEN_URL,
        {
            "grant_type": "authorization_code",
            "code": code,
            "client_id": url,
            "redirect_uri": redirect_uri,
            "code_verifier": VERIFIER,
        },
        secure=True,
    )
    assert answer.status_code == 200, answer.content
    return answer.json()


def test_a_document_becomes_an_unverified_public_app_of_the_owning_account(client, cimd, demo, documents):
    url = documents.serve_json(
        "/mcp-host.json", document(documents.url("/mcp-host.json")), **{"Cache-Control": "max-age=600"}
    )
    client.force_login(demo["user"])

    page = authorize(client, url, "http://localhost:51234/callback")  # any port (RFC 8252 7.3)

    assert page.status_code == 200, page.content
    html = page.content.decode()
    assert 'id="metadata-host">Served by <strong class="text-break">localhost</strong>' in html
    assert "Unverified developer" in html and f'id="metadata-document-url">{url}<' in html
    assert 'id="consent-redirect-uri">http://localhost:51234/callback<' in html
    app = App.objects.get(client_id=url)
    assert app.owner == cimd and app.is_public and app.unverified and app.is_metadata_document
    assert app.name == "Example MCP Host" and app.redirect_uri == REDIRECT
    assert app.metadata_fetched is not None
    assert 590 <= (app.cimd_expires_at - app.metadata_fetched).total_seconds() <= 600
    event = AuditEvent.objects.get(app=app)
    assert event.source == AuditSource.METADATA_DOCUMENT and event.details["metadata_document"] == url
    assert MetadataFetch.objects.filter(host="localhost").count() == 1


def test_the_client_gets_refreshes_and_is_known_by_its_url(client, cimd, demo, documents):
    url = documents.serve_json("/c.json", document(documents.url("/c.json")))
    tokens = consent_and_exchange(client, demo["user"], url)
    refreshed = client.post(
        TOKEN_URL,
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], "client_id": url},
        secure=True,
    )
    assert refreshed.status_code == 200, refreshed.content
    assert AccessToken.objects.filter(application__client_id=url).count() == 1
    assert len(documents.requests) == 1  # fetched once: fresh for the rest


def test_pkce_is_required(client, cimd, demo, documents):
    url = documents.serve_json("/c.json", document(documents.url("/c.json")))
    client.force_login(demo["user"])
    page = authorize(client, url, code_challenge=None, code_challenge_method=None)
    assert page.status_code == 302
    assert query(page["Location"])["error"] == ["invalid_request"]


def test_off_unless_an_account_owns_them(client, settings, demo, documents):
    settings.OAUTH_CLIENT_METADATA_ACCOUNT = ""
    url = documents.serve_json("/c.json", document(documents.url("/c.json")))
    client.force_login(demo["user"])
    page = authorize(client, url)
    assert page.status_code == 400
    assert "does not take Client ID Metadata Documents" in page.content.decode()
    assert not documents.requests and not App.objects.exists()


def test_discovery_advertises_them_only_when_on(client, cimd, settings):
    settings.OAUTH_ISSUER = "https://portal.example"
    assert client.get("/.well-known/oauth-authorization-server").json()[
        "client_id_metadata_document_supported"
    ]
    settings.OAUTH_CLIENT_METADATA_ACCOUNT = ""
    assert (
        "client_id_metadata_document_supported"
        not in client.get("/.well-known/oauth-authorization-server").json()
    )


REFUSED_DOCUMENTS = {
    "another client_id": ({"client_id": "https://localhost/other.json"}, "not exactly the URL"),
    "a secret": ({"client_secret": "s3cret"}, "carries a client_secret"),
    "a secret's expiry": ({"client_secret_expires_at": 0}, "carries a client_secret"),
    "another method": ({"token_endpoint_auth_method": "client_secret_basic"}, "public clients only"),
    "private_key_jwt": ({"token_endpoint_auth_method": "private_key_jwt"}, "public clients only"),
    "no redirect_uris": ({"redirect_uris": None}, "redirect_uris is required"),
    "javascript: redirect": ({"redirect_uris": ["javascript:alert(1)"]}, "redirect_uris: The scheme"),
    "http to another host": ({"redirect_uris": ["http://evil.example/cb"]}, "loopback host only"),
    "upper-case scheme": ({"redirect_uris": ["HTTP://localhost:8090/callback"]}, "lower case"),
    "client_credentials": ({"grant_types": ["client_credentials"]}, "grant_types client_credentials"),
    "a javascript: logo": ({"logo_uri": "javascript:alert(1)"}, "logo_uri"),
}


@pytest.mark.parametrize("changes", REFUSED_DOCUMENTS.values(), ids=REFUSED_DOCUMENTS.keys())
def test_a_document_that_breaks_a_rule_is_an_error_page_and_invalid_client(
    client, cimd, demo, documents, changes
):
    members, why = changes
    url = documents.url("/bad.json")
    documents.serve_json("/bad.json", document(url, **members))
    client.force_login(demo["user"])

    page = authorize(client, url)

    assert page.status_code == 400  # an error page: never a redirect to a URL nobody checked
    assert "Location" not in page
    html = page.content.decode()
    assert f"The client&#x27;s metadata document {url} cannot be used" in html
    assert why.replace("'", "&#x27;").replace('"', "&quot;") in html
    token = client.post(
        TOKEN_URL, {"grant_type": "authorization_code", "code": "x", "client_id": url}, secure=True
    )
    assert token.status_code == 401 and token.json() == {"error": "invalid_client"}
    assert not App.objects.exists()


def test_a_document_that_cannot_be_fetched_is_an_error_page(client, cimd, demo, documents):
    url = documents.serve("/gone.json", Answer(b"", 404))
    client.force_login(demo["user"])
    page = authorize(client, url)
    assert page.status_code == 400 and "it answered HTTP 404" in page.content.decode()
    assert len(documents.requests) == 1
    authorize(client, url)
    assert len(documents.requests) == 1  # the failure is remembered a minute: not fetched again


def test_markup_in_a_document_is_shown_as_text(client, cimd, demo, documents):
    url = documents.url("/evil.json")
    documents.serve_json(
        "/evil.json",
        document(
            url,
            client_name='<script>alert(1)</script><img src=x onerror="alert(2)">',
            client_uri="https://host.example/?q=<b>bold</b>",
            logo_uri='https://host.example/logo.png?"><script>alert(3)</script>',
        ),
    )
    client.force_login(demo["user"])
    page = authorize(client, url)
    html = page.content.decode()
    if page.status_code == 200:
        assert "<script>alert" not in html and "<img src=x" not in html and "<b>bold" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    else:  # a URL the App's own rules refuse: refused whole
        assert page.status_code == 400 and "<script>alert" not in html


def test_a_name_with_markup_is_escaped_on_the_consent_page(client, cimd, demo, documents):
    url = documents.url("/evil2.json")
    documents.serve_json(
        "/evil2.json",
        document(url, client_name='"><script>alert(1)</script>', logo_uri="https://host.example/l.png"),
    )
    client.force_login(demo["user"])
    page = authorize(client, url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "<script>alert(1)" not in html
    assert "&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in html


# --- The cache -------------------------------------------------------------------------------


def stale(url: str, *, fetched_ago: timedelta) -> App:
    now = timezone.now()
    App.objects.filter(client_id=url).update(
        cimd_expires_at=now - timedelta(seconds=1), metadata_fetched=now - fetched_ago
    )
    return App.objects.get(client_id=url)


def test_a_stale_document_is_fetched_again_and_its_changes_kept(client, cimd, demo, documents):
    url = documents.serve_json("/c.json", document(documents.url("/c.json")))
    client.force_login(demo["user"])
    authorize(client, url)
    documents.serve_json("/c.json", document(url, client_name="Renamed Host"))
    stale(url, fetched_ago=timedelta(hours=1))
    assert authorize(client, url).status_code == 200
    assert App.objects.get(client_id=url).name == "Renamed Host"
    assert len(documents.requests) == 2


def test_an_app_its_owner_disabled_is_not_fetched_again_nor_changed(client, cimd, demo, documents):
    """Issue 27: what the owner disabled stays as the owner saw it until enabled again."""
    from apps_registry.services import app_set_enabled

    url = documents.serve_json("/c.json", document(documents.url("/c.json")))
    client.force_login(demo["user"])
    authorize(client, url)
    app_set_enabled(actor=cimd, app=App.objects.get(client_id=url), enabled=False, origin=COMMAND_LINE)
    documents.serve_json("/c.json", document(url, client_name="URGENT: verify your account"))
    stale(url, fetched_ago=timedelta(hours=1))

    assert authorize(client, url).status_code == 400
    assert len(documents.requests) == 1
    assert App.objects.get(client_id=url).name != "URGENT: verify your account"


def test_a_failed_refresh_uses_a_copy_less_than_a_day_old(client, cimd, demo, documents):
    url = documents.serve_json("/c.json", document(documents.url("/c.json")))
    client.force_login(demo["user"])
    authorize(client, url)
    documents.serve("/c.json", Answer(b"down", 503))
    stale(url, fetched_ago=timedelta(hours=23))
    assert authorize(client, url).status_code == 200  # the copy


def test_a_failed_refresh_of_a_copy_older_than_a_day_is_an_error(client, cimd, demo, documents):
    url = documents.serve_json("/c.json", document(documents.url("/c.json")))
    client.force_login(demo["user"])
    authorize(client, url)
    documents.serve("/c.json", Answer(b"down", 503))
    stale(url, fetched_ago=timedelta(days=1, minutes=1))
    page = authorize(client, url)
    assert page.status_code == 400 and "it answered HTTP 503" in page.content.decode()


# --- Limits and the owner's say --------------------------------------------------------------


def test_fetches_per_host_are_limited(client, cimd, demo, documents, settings):
    settings.OAUTH_CLIENT_METADATA_FETCHES_PER_HOST = 2
    client.force_login(demo["user"])
    for name in ("a", "b"):
        url = documents.serve_json(f"/{name}.json", document(documents.url(f"/{name}.json")))
        assert authorize(client, url).status_code == 200
    url = documents.serve_json("/c.json", document(documents.url("/c.json")))
    page = authorize(client, url)
    assert page.status_code == 400 and "was asked for 2 documents this past hour" in page.content.decode()
    assert len(documents.requests) == 2


def test_the_number_of_such_clients_is_capped(client, cimd, demo, documents, settings):
    settings.OAUTH_CLIENT_METADATA_CAP = 1
    client.force_login(demo["user"])
    first = documents.serve_json("/a.json", document(documents.url("/a.json")))
    assert authorize(client, first).status_code == 200
    second = documents.serve_json("/b.json", document(documents.url("/b.json")))
    page = authorize(client, second)
    assert page.status_code == 400 and "at most 1 metadata documents" in page.content.decode()
    assert App.objects.count() == 1


def test_disabling_the_app_stops_that_client(client, cimd, demo, documents):
    from apps_registry.services import app_set_enabled

    url = documents.serve_json("/c.json", document(documents.url("/c.json")))
    client.force_login(demo["user"])
    authorize(client, url)
    app_set_enabled(actor=cimd, app=App.objects.get(client_id=url), enabled=False, origin=COMMAND_LINE)
    assert authorize(client, url).status_code == 400


def test_the_owner_refuses_a_host(client, cimd, demo, documents):
    url = documents.serve_json("/c.json", document(documents.url("/c.json")))
    client.force_login(demo["user"])
    authorize(client, url)

    assert metadata_host_refuse(actor=cimd, account=cimd, host="LOCALHOST", origin=COMMAND_LINE) == 1

    assert not App.objects.get(client_id=url).enabled
    other = documents.serve_json("/d.json", document(documents.url("/d.json")))
    page = authorize(client, other)
    assert page.status_code == 400 and "its host localhost is refused" in page.content.decode()
    assert len(documents.requests) == 1
    metadata_host_allow(actor=cimd, account=cimd, host="localhost", origin=COMMAND_LINE)
    assert authorize(client, other).status_code == 200
