from django.apps import AppConfig


class OAuthConfig(AppConfig):
    """The OAuth 2.0 server: /oauth/register.php, authorize, token, revoke, introspect, /uapi/@me."""

    name = "oauth"
    verbose_name = "OAuth 2.0 endpoints"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the checks)
