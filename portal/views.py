"""Views that belong to the whole site rather than to one app."""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.views.decorators.http import require_GET


@login_not_required
@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico, which browsers ask for whatever a page names: the static icon (its hashed
    name is looked up per request, once the manifest exists)."""
    return HttpResponsePermanentRedirect(static("portal/favicon.ico"))
