"""B0: the benchmark's settings with no middleware at all, no installed app (allauth, for one,
refuses to start without its middleware) and a URLconf of the bare view alone, served by the
same gunicorn as the portal: B / B0 (row M) is what the portal's middleware costs a request."""

from bench.settings import *  # noqa: F403

INSTALLED_APPS = []
MIDDLEWARE = []
ROOT_URLCONF = "bench.bare_urls"
