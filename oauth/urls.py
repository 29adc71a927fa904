from django.urls import path

from . import views
from .views import initial_tokens

app_name = "oauth"

urlpatterns = [
    # The API endpoints first: they are resolved on every API request (make bench).
    path("uapi/@me", views.me, name="me"),
    path("unifiedapi/@me", views.me, name="unifiedapi_me"),
    path("oauth/token.php", views.token, name="token"),
    path("oauth/revoke", views.revoke, name="revoke"),
    path("oauth/revoke.php", views.revoke),
    path("oauth/introspect", views.introspect, name="introspect"),
    path("oauth/introspect.php", views.introspect),
    path("oauth/register.php", views.register, name="register"),
    path("oauth/register/consent/", views.register_consent, name="register_consent"),
    path("oauth/register/resume/", views.register_resume, name="register_resume"),
    # RFC 7591 registration and its RFC 7592 client configuration endpoint (JSON APIs).
    path("oauth/register", views.register_client, name="register_client_create"),
    path("oauth/register/<str:client_id>", views.client_configuration, name="register_client"),
    path("oauth/authorize.php", views.authorize, name="authorize"),
    path("oauth/authorize/resume/", views.authorize_resume, name="authorize_resume"),
    # Discovery (RFC 8414 §3, RFC 9728 §3): the issuer has no path, so no path is inserted.
    path(
        ".well-known/oauth-authorization-server",
        views.authorization_server_metadata_view,
        name="authorization_server_metadata",
    ),
    path(
        ".well-known/oauth-protected-resource/<slug:resource>",
        views.protected_resource_metadata_view,
        name="protected_resource_metadata",
    ),
    # An account's RFC 7591 initial access tokens (portal pages).
    path(
        "accounts/<int:pk>/initial-access-tokens/",
        initial_tokens.initial_access_tokens,
        name="initial_access_tokens",
    ),
    path(
        "accounts/<int:pk>/initial-access-tokens/<int:token_pk>/revoke/",
        initial_tokens.initial_access_token_revoke_view,
        name="initial_access_token_revoke",
    ),
]
