from django.urls import path

from . import views
from .endpoints import ENDPOINTS
from .views import initial_tokens

app_name = "oauth"

urlpatterns = [
    # The endpoints (oauth/endpoints.py declares each once, with how the middleware treats it).
    *(path(endpoint.route, getattr(views, endpoint.view), name=endpoint.name) for endpoint in ENDPOINTS),
    # An account's RFC 7591 initial access tokens (portal pages).
    path(
        "accounts/<int:pk>/initial-access-tokens/",
        initial_tokens.initial_access_tokens,
        name="initial_access_tokens",
    ),
    path(
        "accounts/<int:pk>/initial-access-tokens/<int:token_pk>/revoke/",
        initial_tokens.initial_access_token_revoke_view,
        name="initial_access_token_revoke",
    ),
]
