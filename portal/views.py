"""Views that belong to the whole site rather than to one app."""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.templatetags.static import static
from django.views.decorators.http import require_GET

from .forms import lockout_message

LOCKED_OUT = 429


def lockout(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict | None = None
) -> HttpResponse:
    """django-axes' answer to a locked-out sign-in: the sign-in page the view rendered (its form
    already says why, and a consent page keeps its request), sent as 429; a page of its own
    when there is no such page. No password was checked either way."""
    if (
        original_response is not None
        and original_response.status_code in (200, 400)
        and original_response.get("Content-Type", "").startswith("text/html")
    ):
        original_response.status_code = LOCKED_OUT
        return original_response
    response = render(request, "429.html", {"message": lockout_message()}, status=LOCKED_OUT)
    response["Cache-Control"] = "no-store"
    return response


@login_not_required
@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico, which browsers ask for whatever a page names: the static icon (its hashed
    name is looked up per request, once the manifest exists)."""
    return HttpResponsePermanentRedirect(static("portal/favicon.ico"))
