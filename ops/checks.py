"""`check --deploy`: the /metrics token, when set, is too long to guess."""

from django.conf import settings
from django.core.checks import Tags, Warning, register

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
                id="portal.W003",
            )
        ]
    return []
