"""The portal's URLs plus the bare view, for the benchmark only (never in config.urls)."""

from django.urls import path

from bench.bare_urls import BARE_PATH, bare
from config.urls import urlpatterns as portal_urlpatterns

urlpatterns = [path(BARE_PATH, bare), *portal_urlpatterns]
