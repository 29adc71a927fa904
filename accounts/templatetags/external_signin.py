"""`{% external_providers as providers %}`: the configured external identity providers."""

from django import template

from accounts.external import ExternalProvider
from accounts.external import external_providers as configured_providers

register = template.Library()


@register.simple_tag(takes_context=True)
def external_providers(context) -> list[ExternalProvider]:
    request = context.get("request")
    return configured_providers(request) if request is not None else []
