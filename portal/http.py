"""Response helpers shared by every app."""

from django.http import HttpResponse
from django.utils.cache import add_never_cache_headers, patch_cache_control


def sensitive(response: HttpResponse, referrer_policy: str = "no-referrer") -> HttpResponse:
    """Pages and redirects that carry a secret or a code: never cached, never referred."""
    add_never_cache_headers(response)
    patch_cache_control(response, no_store=True)
    response["Referrer-Policy"] = referrer_policy
    return response
