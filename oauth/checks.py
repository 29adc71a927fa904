"""System checks for the OAuth settings: OAUTH_EXTRA_RESOURCES is well formed (RFC 8707), and
`check --deploy` warns about loopback HTTP, a missing or non-https issuer, open registration and
Client ID Metadata Documents, and refuses metadata documents fetched from loopback."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from apps_registry.models import Api

from .discovery import extra_resource_problem
from .issuer import issuer_problem


@register(Tags.security)
def extra_resources_are_well_formed(app_configs, **kwargs) -> list[Error]:
    """Each OAUTH_EXTRA_RESOURCES item is `api=url`, with api one of Api's (systemapi...) and an
    https URL without fragment; a malformed one would be silently unknown otherwise."""
    errors = []
    for item in settings.OAUTH_EXTRA_RESOURCES:
        api, _, uri = (part.strip() for part in item.partition("="))
        problem = None if api in Api.values else f"{api!r} is not {' or '.join(Api.values)}"
        problem = problem or extra_resource_problem(uri)
        if problem:
            errors.append(
                Error(
                    f"OAUTH_EXTRA_RESOURCES item {item!r}: {problem}.",
                    hint="Write each as api=url, e.g. unifiedapi=https://mcp.example.com/mcp.",
                    id="oauth.E001",
                )
            )
    return errors


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


@register(Tags.security, deploy=True)
def client_metadata_documents_are_deliberate(app_configs, **kwargs) -> list[Warning]:
    """Client ID Metadata Documents let anyone name a client by a URL the portal then fetches
    (design §6.2): a choice the operator acknowledges by silencing this warning."""
    if not settings.OAUTH_CLIENT_METADATA_ACCOUNT:
        return []
    return [
        Warning(
            "Client ID Metadata Documents are on (OAUTH_CLIENT_METADATA_ACCOUNT): any https URL is a "
            "client_id the portal fetches (from public addresses only), keeping each document as a "
            f"public, unverified App of {settings.OAUTH_CLIENT_METADATA_ACCOUNT!r} (at most "
            f"{settings.OAUTH_CLIENT_METADATA_CAP}, {settings.OAUTH_CLIENT_METADATA_FETCHES_PER_HOST} "
            "fetches per host an hour) that asks your users to consent to it.",
            hint="Name an account of its own that holds nothing else, then add 'oauth.W002' to "
            "SILENCED_SYSTEM_CHECKS to acknowledge it (docs/deployment.md, metadata documents).",
            id="oauth.W002",
        )
    ]


@register(Tags.security, deploy=True)
def client_metadata_from_loopback_is_for_development(app_configs, **kwargs) -> list[Error]:
    """OAUTH_CLIENT_METADATA_ALLOW_LOOPBACK lets anyone make the portal fetch from its own host."""
    if not settings.OAUTH_CLIENT_METADATA_ALLOW_LOOPBACK:
        return []
    return [
        Error(
            "OAUTH_CLIENT_METADATA_ALLOW_LOOPBACK is on: a client_id URL whose host resolves to a "
            "loopback address is fetched, so anyone can make the portal call services on its own host.",
            hint="It is for development and the tests only: turn it off (docs/deployment.md).",
            id="oauth.E002",
        )
    ]
