"""Every URL that answers without sign-in is classified, and treated as its class says: an OAuth
endpoint (oauth/endpoints.py: a program's or a browser's, with or without TLS), a probe
(ops/endpoints.py), one of the sign-in pages below, or the page a confirmation link mailed to an
App's admin e-mail opens. A new view marked login_not_required that is none of these fails here
until someone says what it is."""

import pytest
from django.urls import URLResolver, get_resolver

from oauth.endpoints import ENDPOINTS
from ops.endpoints import PROBES
from portal.speedups.page_middleware import is_api_request

# Pages anyone may open to sign in (and the site's root, which sends them there).
SIGN_IN_PAGES = {
    "",
    "favicon.ico",
    "accounts/login/",
    "accounts/external/google/login/",
    "accounts/external/google/login/callback/",
    "accounts/external/oidc/<str:provider_id>/login/",
    "accounts/external/oidc/<str:provider_id>/login/callback/",
    "accounts/external/login/cancelled/",
    "accounts/external/login/error/",
    "admin/login/",
}
# Opened from a link mailed to an App's admin e-mail (design §3): its reader has no account.
MAILED_LINK_PAGES = {"apps/email-confirmation/<str:token>/"}
# A value for each converter, to turn a route into a path.
SAMPLES = {"<str:client_id>": "abc", "<slug:resource>": "uapi"}


def routes(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from routes(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern), pattern.callback


def path_of(route: str) -> str:
    for converter, sample in SAMPLES.items():
        route = route.replace(converter, sample)
    return f"/{route}"


def test_every_url_open_without_sign_in_is_classified():
    public = {
        route
        for route, view in routes(get_resolver().url_patterns)
        if not getattr(view, "login_required", True)
    }
    classified = {endpoint.route for endpoint in ENDPOINTS} | set(PROBES) | SIGN_IN_PAGES | MAILED_LINK_PAGES
    assert public == classified, (
        "Unclassified: declare an OAuth endpoint in oauth/endpoints.py, a probe in ops/endpoints.py, "
        f"or a sign-in page here: {sorted(public - classified)}; "
        f"declared but not open: {sorted(classified - public)}"
    )


def test_every_declared_endpoint_is_mounted_at_its_route():
    mounted = dict(routes(get_resolver().url_patterns))
    for endpoint in ENDPOINTS:
        assert endpoint.route in mounted, endpoint


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda endpoint: endpoint.route)
def test_the_middleware_treats_each_endpoint_as_declared(endpoint, client, settings, rf, db):
    settings.OAUTH_ALLOW_LOOPBACK_HTTP = False
    settings.SECURE_SSL_REDIRECT = True
    path = path_of(endpoint.route)
    response = client.get(path)
    if endpoint.tls:
        # Refused over plain HTTP, never redirected: HTML for a browser, JSON for a program.
        assert response.status_code == 403
        expected = "text/html" if endpoint.caller == "browser" else "application/json"
        assert response["Content-Type"].startswith(expected)
    else:
        assert response.status_code == 301
        assert response["Location"] == f"https://testserver{path}"
    # A program's endpoint at a fixed path skips the page-only middleware (no session).
    assert is_api_request(rf.get(path)) == (endpoint.caller == "program" and "<" not in endpoint.route)


@pytest.mark.parametrize("route", PROBES)
def test_probes_answer_plain_http(route, client, settings, db):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get(f"/{route}").status_code != 301


def test_a_page_over_plain_http_is_redirected_to_https(client, settings, db):
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/accounts/login/")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/accounts/login/"
