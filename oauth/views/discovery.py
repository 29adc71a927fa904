"""The discovery documents (design §6): /.well-known/oauth-authorization-server (RFC 8414) and
/.well-known/oauth-protected-resource/<resource> (RFC 9728). Public, cookie-free JSON that
browser-based clients may read from any origin (their CORS headers: oauth/endpoints.py)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_http_methods

from ..discovery import RESOURCES, authorization_server_metadata, protected_resource_metadata
from ..issuer import configured_issuer, issuer_problem

ISSUER_NOT_CONFIGURED = (
    "Discovery is not configured on this portal: {problem} The operator sets OAUTH_ISSUER to the "
    "portal's public https address (docs/deployment.md)."
)


def _document(request: HttpRequest, build) -> HttpResponse:
    if request.method == "OPTIONS":
        return HttpResponse(status=204)  # a preflight is answered by the CORS middleware
    issuer = configured_issuer()
    if issuer is None:
        # Never guessed from the request's Host: a forged Host would name another issuer.
        problem = issuer_problem(settings.OAUTH_ISSUER.rstrip("/"))
        description = ISSUER_NOT_CONFIGURED.format(problem=problem)
        body = {"error": "temporarily_unavailable", "error_description": description}
        return JsonResponse(body, status=503)
    response = JsonResponse(build(issuer))
    response["Cache-Control"] = "public, max-age=3600"
    return response


@login_not_required
@require_http_methods(["GET", "HEAD", "OPTIONS"])
def authorization_server_metadata_view(request: HttpRequest) -> HttpResponse:
    """RFC 8414 §3: the authorization server's metadata."""
    return _document(request, authorization_server_metadata)


@login_not_required
@require_http_methods(["GET", "HEAD", "OPTIONS"])
def protected_resource_metadata_view(request: HttpRequest, resource: str) -> HttpResponse:
    """RFC 9728 §3: one protected resource's metadata (UnifiedAPI at uapi and its unifiedapi
    alias, SystemAPI at systemapi)."""
    found = RESOURCES.get(resource)
    if found is None:
        names = ", ".join(sorted(RESOURCES))
        body = {"error": "not_found", "error_description": f"No such protected resource; there are {names}."}
        return JsonResponse(body, status=404)
    return _document(request, lambda issuer: protected_resource_metadata(issuer, found))
