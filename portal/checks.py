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


METRICS_TOKEN_MIN_LENGTH = 32


@register(Tags.security, deploy=True)
def metrics_token_is_long(app_configs, **kwargs) -> list[Warning]:
    """A METRICS_TOKEN, when set, is too long to guess."""
    token = settings.METRICS_TOKEN
    if token and len(token) < METRICS_TOKEN_MIN_LENGTH:
        return [
            Warning(
                f"METRICS_TOKEN is shorter than {METRICS_TOKEN_MIN_LENGTH} characters.",
                hint='Generate one: python -c "import secrets; print(secrets.token_urlsafe(32))"',
                id="portal.W001",
            )
        ]
    return []
