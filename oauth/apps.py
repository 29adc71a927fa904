from django.apps import AppConfig

from .audit import OAuthAccountAction


class OAuthConfig(AppConfig):
    """The OAuth 2.0 server: /oauth/register.php, authorize, token, revoke, introspect, /uapi/@me."""

    name = "oauth"
    verbose_name = "OAuth 2.0 endpoints"
    # What it writes to an account's audit trail (accounts.models.account_action_choices).
    account_actions = OAuthAccountAction

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the checks)
