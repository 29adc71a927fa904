"""The token and revocation endpoints' error answer, in the exact shape of design §6 (shared by
django-oauth-toolkit's path and the portal's own client_credentials path)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse

from portal.http import sensitive


def token_error(request: HttpRequest, body: dict, status: int) -> HttpResponse:
    """An error of the token or revocation endpoint, in the exact shape of design §6."""
    response = sensitive(JsonResponse(body, status=status))
    if status == 401 and request.headers.get("Authorization", "")[:6].lower() == "basic ":
        # RFC 6749 5.2: the challenge names the scheme the client used.
        response["WWW-Authenticate"] = 'Basic realm="oauth"'
    return response
