"""The bare view, and the URLconf of B0 (bench/bare_settings.py): that view alone."""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.urls import path

BARE_PATH = "bench/bare"


@login_not_required
def bare(request):
    """The yardstick: a constant answer. B serves it behind every middleware of the portal
    (bench/urls.py), B0 behind none."""
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [path(BARE_PATH, bare)]
