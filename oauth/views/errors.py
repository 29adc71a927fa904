"""The error answers of the OAuth endpoints: the CSRF failure page (CSRF_FAILURE_VIEW), plain
words on the OAuth pages; and the server fault (handler500), JSON where a program asks."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views import csrf as django_csrf
from django.views import defaults

from ..endpoints import ME_PATHS, PROGRAM_PATTERN

# What a program is told of a fault of the server's: nothing of it (the log has the details).
SERVER_ERROR = "The server met an unexpected condition. Try again later."


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A consent page sent twice, or after signing in on another tab, fails the CSRF check:
    on the OAuth pages say so plainly; elsewhere Django's own page."""
    if request.path.startswith("/oauth/"):
        context = {
            "title": "This page has expired",
            "errors": [
                "The form was sent twice, or after you signed in or out elsewhere. "
                "Go back to the App and start again."
            ],
        }
        response = render(request, "oauth/error.html", context, status=403)
        response["Cache-Control"] = "no-store"
        return response
    return django_csrf.csrf_failure(request, reason)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500 (config/urls.py): a server fault on an endpoint a program calls is answered
    in the JSON it reads, never an HTML page: `{"error": "server_error"}` (OAuth's error code;
    RFC 6749 §4.1.2.1) on the OAuth endpoints and discovery, the APIs' own shape on "who am
    I". Pages get Django's 500 page (templates/500.html). Django logs the fault either way."""
    path = request.path_info
    if path in ME_PATHS:
        body = {"error": {"code": "server_error", "message": SERVER_ERROR}}
    elif PROGRAM_PATTERN.match(path):
        body = {"error": "server_error", "error_description": SERVER_ERROR}
    else:
        return defaults.server_error(request)
    response = JsonResponse(body, status=500)
    response["Cache-Control"] = "no-store"
    return response
