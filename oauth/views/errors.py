"""The CSRF failure page (CSRF_FAILURE_VIEW): plain words on the OAuth pages."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views import csrf as django_csrf


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
