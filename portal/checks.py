"""System checks for the settings this project adds: `check --deploy` says when a production
setting is unsafe."""

from django.conf import settings
from django.core.checks import Tags, Warning, register

from .issuer import issuer_problem
from .middleware import proxy_networks


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
                id="portal.W003",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def trusted_proxies_are_specific(app_configs, **kwargs) -> list[Warning]:
    """TRUSTED_PROXIES names the proxies in front of the portal, never every address; and the
    switches it replaced are no longer read."""
    warnings = []
    networks = proxy_networks(settings.TRUSTED_PROXIES)
    everyone = [str(network) for network in networks if network.prefixlen == 0]
    if everyone:
        warnings.append(
            Warning(
                f"TRUSTED_PROXIES contains {', '.join(everyone)}: every client may set "
                "X-Forwarded-For and X-Forwarded-Proto (another address, a forged HTTPS).",
                hint="List the addresses of your own proxies only (docs/deployment.md §2).",
                id="portal.W001",
            )
        )
    legacy = getattr(settings, "LEGACY_PROXY_SWITCHES", [])
    if legacy:
        warnings.append(
            Warning(
                f"{' and '.join(legacy)} no longer have any effect.",
                hint="Set TRUSTED_PROXIES to the proxy's address instead (docs/deployment.md §2).",
                id="portal.W002",
            )
        )
    return warnings


@register(Tags.security, deploy=True)
def issuer_is_https(app_configs, **kwargs) -> list[Warning]:
    """OAUTH_ISSUER (default PORTAL_BASE_URL) is the public https address that the OAuth
    discovery documents name (RFC 8414 §2); without it they answer 503."""
    problem = issuer_problem(settings.OAUTH_ISSUER.rstrip("/"))
    if problem:
        return [
            Warning(
                f"{problem} The OAuth discovery documents (/.well-known/oauth-authorization-server, "
                "/.well-known/oauth-protected-resource/...) answer 503 without a valid issuer.",
                hint="Set OAUTH_ISSUER to the portal's public https address, e.g. "
                "https://portal.example.com (docs/deployment.md).",
                id="portal.W010",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def open_registration_is_deliberate(app_configs, **kwargs) -> list[Warning]:
    """Open RFC 7591 registration lets anyone register a public client (rate-limited, capped,
    shown as unverified on the consent page): a choice the operator acknowledges by silencing
    this warning (docs/deployment.md)."""
    if not settings.OAUTH_OPEN_REGISTRATION_ACCOUNT:
        return []
    return [
        Warning(
            "Open registration is on (OAUTH_OPEN_REGISTRATION_ACCOUNT): anyone can register a "
            f"public client to {settings.OAUTH_OPEN_REGISTRATION_ACCOUNT!r}, up to "
            f"{settings.OAUTH_OPEN_REGISTRATION_PER_ADDRESS} an hour per address and "
            f"{settings.OAUTH_OPEN_REGISTRATION_CAP} at once, and ask your users to consent to it.",
            hint="Name an account of its own that holds nothing else, keep TRUSTED_PROXIES right "
            "(the rate limit counts per client address), then add 'oauth.W001' to "
            "SILENCED_SYSTEM_CHECKS to acknowledge it (docs/deployment.md, open registration).",
            id="oauth.W001",
        )
    ]
