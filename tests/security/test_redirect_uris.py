"""Redirect URI strictness (RFC 9700 4.1, RFC 6819 5.2.3.5): a registered redirect URL is
matched exactly, and nothing is ever redirected to a URL that was not checked.

Every App here is registered with https://app.example/cb; each variant below must be
refused on /oauth/authorize.php with an error page (no Location at all).
"""

from urllib.parse import urlencode

import pytest

from apps_registry.models import Api, App
from tests.factories import AppFactory

pytestmark = pytest.mark.django_db

AUTHORIZE = "/oauth/authorize.php"
REGISTERED = "https://app.example/cb"

# Each differs from REGISTERED in one way an attacker could use.
VARIANTS = {
    "trailing-slash": "https://app.example/cb/",
    "upper-case-path": "https://app.example/CB",
    "upper-case-host": "https://APP.EXAMPLE/cb",
    "upper-case-scheme": "HTTPS://app.example/cb",
    "trailing-dot-host": "https://app.example./cb",
    "added-query": "https://app.example/cb?x=1",
    "empty-query": "https://app.example/cb?",
    "dot-dot-segment": "https://app.example/x/../cb",
    "encoded-dot-dot": "https://app.example/x/%2e%2e/cb",
    "encoded-slash": "https://app.example/x%2f..%2fcb",
    "path-parameter": "https://app.example/cb;x=1",
    "other-port": "https://app.example:8443/cb",
    "explicit-default-port": "https://app.example:443/cb",
    "sub-domain": "https://evil.app.example/cb",
    "suffix-domain": "https://app.example.evil.example/cb",
    "other-host": "https://evil.example/cb",
    "userinfo": "https://evil.example@app.example/cb",
    "userinfo-empty": "https://@app.example/cb",
    "fragment": "https://app.example/cb#x",
    "empty-fragment": "https://app.example/cb#",
    "http": "http://app.example/cb",
    "javascript": "javascript:alert(1)//https://app.example/cb",
    "data": "data:text/html,<script>alert(1)</script>",
    "crlf": "https://app.example/cb\r\nSet-Cookie: x=1",
    "cr-in-path": "https://app.example/c\rb",
    "lf-in-path": "https://app.example/c\nb",
    "tab-in-path": "https://app.example/c\tb",
    "leading-space": " https://app.example/cb",
    "nul": "https://app.example/cb\x00",
    "backslash": "https://app.example\\@evil.example/cb",
    "protocol-relative": "//app.example/cb",
    "relative": "/cb",
}


@pytest.fixture
def app(demo):
    return AppFactory(owner=demo["organization"], api=Api.UNIFIEDAPI, redirect_uri=REGISTERED)


def authorize_url(app, redirect_uri: str) -> str:
    query = {"response_type": "code", "client_id": app.client_id, "redirect_uri": redirect_uri, "state": "s"}
    return f"{AUTHORIZE}?{urlencode(query)}"


@pytest.mark.parametrize("redirect_uri", VARIANTS.values(), ids=VARIANTS.keys())
@pytest.mark.parametrize("signed_in", [True, False], ids=["signed-in", "anonymous"])
def test_authorize_refuses_every_variant_of_the_registered_uri_without_redirecting(
    client, app, demo, redirect_uri, signed_in
):
    if signed_in:
        client.force_login(demo["user"])
    response = client.get(authorize_url(app, redirect_uri))
    assert response.status_code == 400, (response.status_code, response.get("Location"))
    assert "Location" not in response


def test_the_registered_uri_itself_is_accepted_and_the_code_goes_exactly_there(client, app, demo):
    """The control for the refusals above: the same request with the registered URI works."""
    client.force_login(demo["user"])
    page = client.get(authorize_url(app, REGISTERED))
    assert page.status_code == 200
    response = client.post(AUTHORIZE, {"request": page.context["blob"], "action": "allow"})
    assert response.status_code == 302
    assert response["Location"].startswith(REGISTERED + "?")
    assert "code=" in response["Location"]


@pytest.mark.parametrize("loopback_http", [True, False], ids=["loopback-http-on", "loopback-http-off"])
@pytest.mark.parametrize("remote_addr", ["127.0.0.1", "203.0.113.9"], ids=["from-loopback", "from-afar"])
@pytest.mark.parametrize(
    "redirect_uri", ["http://app.example/cb", "https://app.example/cb/", "https://app.example:8443/cb"]
)
def test_the_loopback_http_allowance_does_not_loosen_matching(
    client, app, demo, settings, loopback_http, remote_addr, redirect_uri
):
    """OAUTH_ALLOW_LOOPBACK_HTTP concerns the transport of requests to /oauth/*, not which
    redirect URLs match: a non-loopback App's registered URL matches exactly either way."""
    settings.OAUTH_ALLOW_LOOPBACK_HTTP = loopback_http
    client.force_login(demo["user"])
    response = client.get(authorize_url(app, redirect_uri), REMOTE_ADDR=remote_addr, secure=True)
    assert response.status_code == 400
    assert "Location" not in response
    control = client.get(authorize_url(app, REGISTERED), REMOTE_ADDR=remote_addr, secure=True)
    assert control.status_code == 200


# --- registration: what may become a redirect URL at all -----------------------------------

# Not an absolute https URL without fragment or credentials: refused wherever an App's
# redirect URL is set (register.php, the Add App and edit pages, the services).
UNACCEPTABLE = {
    "javascript": "javascript:alert(1)",
    "javascript-comment": "javascript://app.example/%0aalert(1)",
    "data": "data:text/html,<script>alert(1)</script>",
    "http": "http://app.example/cb",
    "fragment": "https://app.example/cb#x",
    "empty-fragment": "https://app.example/cb#",
    "userinfo": "https://evil.example@app.example/cb",
    "user-and-password": "https://user:pw@app.example/cb",
    "crlf": "https://app.example/cb\r\nSet-Cookie: x=1",
    "cr": "https://app.example/c\rb",
    "lf": "https://app.example/c\nb",
    "tab": "https://app.example/c\tb",
    "nul": "https://app.example/cb\x00",
    "space": "https://app.example/c b",
    "backslash": "https://app.example\\@evil.example/cb",
    "protocol-relative": "//app.example/cb",
    "relative": "/cb",
    "no-host": "https:///cb",
    "too-long": "https://app.example/" + "x" * 2000,
}

REGISTER = "/oauth/register.php"
REGISTRATION = {
    "name": "Evil Corp",
    "homepage": "https://app.example/",
    "email": "dev@app.example",
    "state": "s",
}


@pytest.mark.parametrize("redirect_uri", UNACCEPTABLE.values(), ids=UNACCEPTABLE.keys())
@pytest.mark.parametrize("method", ["get", "post"])
def test_register_php_refuses_an_unacceptable_redirect_uri_with_an_error_page(
    client, demo, redirect_uri, method
):
    client.force_login(demo["organization"])
    response = getattr(client, method)(REGISTER, {**REGISTRATION, "redirect_uri": redirect_uri})
    assert response.status_code == 400
    assert "Location" not in response
    assert "redirect_uri:" in response.content.decode()
    assert not App.objects.exists()


def test_register_php_never_redirects_before_the_redirect_uri_is_checked(client, demo):
    """Deny on a consent page redirects, but a consent page exists only for a checked URL:
    the refused requests above never got one (no signed request in their context)."""
    client.force_login(demo["organization"])
    response = client.get(REGISTER, {**REGISTRATION, "redirect_uri": "javascript:alert(1)"})
    assert "blob" not in (response.context or {})


@pytest.mark.parametrize("redirect_uri", UNACCEPTABLE.values(), ids=UNACCEPTABLE.keys())
def test_services_refuse_an_unacceptable_redirect_uri_on_create_and_on_edit(demo, redirect_uri):
    from django.core.exceptions import ValidationError

    from apps_registry import services

    owner = demo["organization"]
    origin = services.Origin("portal", "127.0.0.1")
    with pytest.raises(ValidationError) as error:
        services.app_create(
            actor=owner,
            owner=owner,
            api=Api.SYSTEMAPI,
            origin=origin,
            redirect_uri=redirect_uri,
            **{key: value for key, value in REGISTRATION.items() if key != "state"},
        )
    assert set(error.value.message_dict) == {"redirect_uri"}
    assert not App.objects.exists()

    app = AppFactory(owner=owner, redirect_uri=REGISTERED)
    with pytest.raises(ValidationError) as error:
        services.app_update(actor=owner, app=app, origin=origin, redirect_uri=redirect_uri)
    assert set(error.value.message_dict) == {"redirect_uri"}
    app.refresh_from_db()
    assert app.redirect_uri == REGISTERED


@pytest.mark.parametrize("redirect_uri", UNACCEPTABLE.values(), ids=UNACCEPTABLE.keys())
def test_portal_add_and_edit_pages_show_the_refusal_beside_the_field(client, demo, redirect_uri):
    from django.urls import reverse

    from tests.helpers import add_url, form_data

    owner = demo["organization"]
    client.force_login(owner)
    page = client.get(add_url(owner))
    response = client.post(add_url(owner), {**form_data(page), "redirect_uri": redirect_uri})
    assert response.status_code == 200
    assert "redirect_uri" in response.context["form"].errors
    assert not App.objects.exists()

    app = AppFactory(owner=owner, redirect_uri=REGISTERED)
    edit = reverse("apps_registry:edit", args=[app.pk])
    fields = {"name": app.name, "homepage": app.homepage, "email": app.email}
    response = client.post(edit, {**fields, "redirect_uri": redirect_uri})
    assert response.status_code == 200
    assert "redirect_uri" in response.context["form"].errors
    app.refresh_from_db()
    assert app.redirect_uri == REGISTERED


@pytest.mark.parametrize("field", ["homepage", "image_uri", "redirect_uri"])
def test_a_nul_in_a_url_is_refused_as_a_control_character_not_saved(client, demo, field):
    """Regression: Django's URLValidator accepts a NUL after the host; SQLite stored it and
    PostgreSQL raised on the INSERT (a 500 from the register.php consent)."""
    from django.core.exceptions import ValidationError

    from apps_registry import services

    owner = demo["organization"]
    values = {**REGISTRATION, "redirect_uri": REGISTERED, field: "https://app.example/x\x00"}
    del values["state"]
    with pytest.raises(ValidationError) as error:
        services.app_create(
            actor=owner, owner=owner, api=Api.SYSTEMAPI, origin=services.Origin("portal"), **values
        )
    assert [e.code for e in error.value.error_dict[field]] == ["control_characters"]
    client.force_login(owner)
    assert client.get(REGISTER, {**REGISTRATION, **values, "state": "s"}).status_code == 400
    assert not App.objects.exists()
