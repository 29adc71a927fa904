"""WSGI entry point (gunicorn config.wsgi).

Once the program is loaded (Django, the apps, the URLconf and the views it imports), its
objects are moved out of the garbage collector's reach (gc.freeze, Python's documented hook):
they live as long as the process, and only what requests make is collected afterwards.
portal/speedups/__init__.py says what it buys and costs."""

import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()

# The URLconf and the views it imports, loaded now rather than at the first request.
get_resolver().url_patterns  # noqa: B018
gc.collect()
gc.freeze()
