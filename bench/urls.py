"""The portal's URLs plus the bare view, for the benchmark only (never in portal.urls)."""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.urls import path

from portal.urls import urlpatterns as portal_urlpatterns

BARE_PATH = "bench/bare"


@login_not_required
def bare(request):
    """The yardstick B: every middleware of the portal, then a constant answer."""
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [path(BARE_PATH, bare), *portal_urlpatterns]
