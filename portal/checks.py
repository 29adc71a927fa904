"""System checks for the settings this project adds."""

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def loopback_http_is_for_development(app_configs, **kwargs) -> list[Warning]:
    """OAUTH_ALLOW_LOOPBACK_HTTP lets /oauth/* and the APIs answer plain HTTP from loopback."""
    if settings.OAUTH_ALLOW_LOOPBACK_HTTP and not settings.DEBUG:
        return [
            Warning(
                "OAUTH_ALLOW_LOOPBACK_HTTP is on: the OAuth endpoints answer plain HTTP from loopback.",
                hint="Turn it off outside development (docs/design.md §7).",
                id="apps_registry.W001",
            )
        ]
    return []
