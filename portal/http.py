"""Response helpers shared by every app."""

import functools

from django.http import HttpResponse
from django.utils.cache import add_never_cache_headers
from django.utils.http import http_date


def sensitive(response: HttpResponse, referrer_policy: str = "no-referrer") -> HttpResponse:
    """Pages and redirects that carry a secret or a code: never cached (Django's never-cache
    headers, `no-store` among them), never referred. A response without cache headers of its
    own (every answer of the OAuth endpoints) gets Django's two as Django writes them, without
    parsing and rebuilding Cache-Control twice (portal/speedups/__init__.py)."""
    if response.has_header("Cache-Control") or response.has_header("Expires"):
        add_never_cache_headers(response)  # merged with the view's own, as Django merges them
    else:
        response.headers["Expires"] = http_date()
        response.headers["Cache-Control"] = _never_cached()
    response["Referrer-Policy"] = referrer_policy
    return response


@functools.cache
def _never_cached() -> str:
    """The Cache-Control that add_never_cache_headers gives a response without one."""
    response = HttpResponse()
    add_never_cache_headers(response)
    return response["Cache-Control"]
