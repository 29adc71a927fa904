"""The public paths that Apps, client libraries and bookmarks depend on: each name reverses to
its path, and each path resolves to the view that answers it. A route renamed or moved by a
refactoring fails here before a client notices."""

import pytest
from django.urls import resolve, reverse

from apps_registry import views as app_views
from oauth import views as oauth_views
from ops import views as ops_views
from playground import views as playground_views

# (URL name, arguments, path, view)
ROUTES = [
    ("oauth:register", [], "/oauth/register.php", oauth_views.register),
    ("oauth:register_consent", [], "/oauth/register/consent/", oauth_views.register_consent),
    ("oauth:register_resume", [], "/oauth/register/resume/", oauth_views.register_resume),
    ("oauth:authorize", [], "/oauth/authorize.php", oauth_views.authorize),
    ("oauth:authorize_resume", [], "/oauth/authorize/resume/", oauth_views.authorize_resume),
    ("oauth:token", [], "/oauth/token.php", oauth_views.token),
    ("oauth:revoke", [], "/oauth/revoke", oauth_views.revoke),
    ("oauth:introspect", [], "/oauth/introspect", oauth_views.introspect),
    (
        "oauth:authorization_server_metadata",
        [],
        "/.well-known/oauth-authorization-server",
        oauth_views.authorization_server_metadata_view,
    ),
    (
        "oauth:protected_resource_metadata",
        ["uapi"],
        "/.well-known/oauth-protected-resource/uapi",
        oauth_views.protected_resource_metadata_view,
    ),
    (
        "oauth:protected_resource_metadata",
        ["unifiedapi"],
        "/.well-known/oauth-protected-resource/unifiedapi",
        oauth_views.protected_resource_metadata_view,
    ),
    (
        "oauth:protected_resource_metadata",
        ["systemapi"],
        "/.well-known/oauth-protected-resource/systemapi",
        oauth_views.protected_resource_metadata_view,
    ),
    ("oauth:me", [], "/uapi/@me", oauth_views.me),
    ("oauth:unifiedapi_me", [], "/unifiedapi/@me", oauth_views.me),
    ("healthz", [], "/healthz", ops_views.healthz),
    ("readyz", [], "/readyz", ops_views.readyz),
    ("metrics", [], "/metrics", ops_views.metrics),
    ("playground:start", [], "/playground/", playground_views.start),
    ("playground:callback", [], "/playground/callback/", playground_views.callback),
    ("playground:step", [], "/playground/step/", playground_views.step),
    ("playground:app", [7], "/playground/apps/7/", playground_views.app_page),
    ("apps_registry:integration", [], "/integration/apis/", app_views.integration),
    ("apps_registry:list", [3], "/accounts/3/apps/", app_views.app_list),
    ("apps_registry:add", [3], "/accounts/3/apps/add/", app_views.app_add),
    ("apps_registry:audit", [3], "/accounts/3/audit/", app_views.audit_trail),
    ("apps_registry:edit", [7], "/apps/7/", app_views.app_edit),
    (
        "apps_registry:regenerate_secret",
        [7],
        "/apps/7/secret/regenerate/",
        app_views.app_regenerate_secret_view,
    ),
    ("apps_registry:tokens", [7], "/apps/7/tokens/", app_views.app_tokens),
]

# Paths with no name of their own that clients call all the same (VoipNow's spellings).
ALIASES = [
    ("/oauth/revoke.php", oauth_views.revoke),
    ("/oauth/introspect.php", oauth_views.introspect),
]


@pytest.mark.parametrize(("name", "args", "path", "view"), ROUTES, ids=[route[2] for route in ROUTES])
def test_each_public_path_round_trips(name, args, path, view):
    assert reverse(name, args=args) == path
    match = resolve(path)
    assert match.func == view
    assert match.view_name == name


@pytest.mark.parametrize(("path", "view"), ALIASES, ids=[alias[0] for alias in ALIASES])
def test_voipnow_spellings_reach_the_same_views(path, view):
    assert resolve(path).func == view


def test_the_sign_in_and_account_pages_keep_their_paths():
    assert reverse("login") == "/accounts/login/"
    assert reverse("accounts:detail", args=[5]) == "/accounts/5/"
    assert reverse("accounts:me") == "/accounts/me/"
