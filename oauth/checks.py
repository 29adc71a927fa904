"""System checks for the OAuth settings: OAUTH_EXTRA_RESOURCES names resource servers the
portal can bind tokens to (RFC 8707), each as api=url."""

from django.conf import settings
from django.core.checks import Error, Tags, register

from apps_registry.models import Api

from .discovery import extra_resource_problem


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
