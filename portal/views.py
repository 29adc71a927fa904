"""Views that belong to the whole site rather than to one app."""

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.templatetags.static import static
from django.utils.crypto import constant_time_compare
from django.views.decorators.http import require_GET, require_safe
from prometheus_client import CONTENT_TYPE_LATEST

from .forms import lockout_message
from .health import database_ready
from .metrics import exposition

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


# --- Probes and metrics: no sign-in, no session, nothing revealed --------------------------


def _plain(text: str, status: int = 200) -> HttpResponse:
    response = HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "no-store"
    return response


@login_not_required
@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness: the process answers. Touches nothing else, the database included."""
    return _plain("ok\n")


@login_not_required
@require_safe
def readyz(request: HttpRequest) -> HttpResponse:
    """Readiness: the database answers and has every migration applied; 503 otherwise (the
    reason goes to the log, not to the prober)."""
    if database_ready():
        return _plain("ready\n")
    return _plain("not ready\n", status=503)


@login_not_required
@require_safe
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus metrics, for a scraper that sends `Authorization: Bearer <METRICS_TOKEN>`;
    a 404 when METRICS_TOKEN is not set."""
    expected = settings.METRICS_TOKEN
    if not expected:
        raise Http404
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not constant_time_compare(given.strip(), expected):
        response = _plain("A bearer token is required.\n", status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    response = HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    return response


@login_not_required
@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico, which browsers ask for whatever a page names: the static icon (its hashed
    name is looked up per request, once the manifest exists)."""
    return HttpResponsePermanentRedirect(static("portal/favicon.ico"))
