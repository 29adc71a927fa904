from django.urls import path

from . import views
from .endpoints import PROBES

urlpatterns = [path(route, getattr(views, name), name=name) for route, name in PROBES.items()]
