"""Response helpers shared by every app."""

from django.http import HttpResponse
from django.utils.cache import add_never_cache_headers


def sensitive(response: HttpResponse, referrer_policy: str = "no-referrer") -> HttpResponse:
    """Pages and redirects that carry a secret or a code: never cached (Django's never-cache
    headers, `no-store` among them), never referred."""
    add_never_cache_headers(response)
    response["Referrer-Policy"] = referrer_policy
    return response
