"""What the App management pages share: rendering a page or its htmx partial, redirects, the
changelist's URL, the audit origin of a request, the 404 for an App removed meanwhile, the
confirmation of a destructive action."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django_htmx.http import HttpResponseClientRedirect

from accounts.selectors import breadcrumb
from portal.speedups.urls import urlencode

from ..models import Api, App, AuditSource
from ..services import Origin

TOKENS_PER_PAGE = 50

# --- helpers ----------------------------------------------------------------------------------


def _partial(request: HttpRequest) -> bool:
    """An htmx request that wants a fragment (a history restore wants the whole page)."""
    return bool(request.htmx) and not request.htmx.history_restore_request


def _render(request: HttpRequest, template: str, partial: str, context: dict, **kwargs) -> HttpResponse:
    """The page, or its named partial for htmx; caches keep the two apart (Vary: HX-Request)."""
    name = f"{template}#{partial}" if _partial(request) else template
    response = render(request, name, context, **kwargs)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _redirect(request: HttpRequest, url: str) -> HttpResponse:
    """After a POST: a real redirect, or for htmx a full-page navigation (not a swap)."""
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


def _api(value: str | None) -> str:
    return value if value in Api.values else Api.values[0]


def _list_url(account_pk: int, api: str) -> str:
    return reverse("apps_registry:list", args=[account_pk]) + f"?api={api}"


def _app_context(request: HttpRequest, app: App, **extra) -> dict:
    return {"app": app, "account": app.owner, "breadcrumb": breadcrumb(request.user, app.owner), **extra}


def _origin(request: HttpRequest) -> Origin:
    return Origin.from_request(request, source=AuditSource.PORTAL)


@contextmanager
def removed_meanwhile_is_404() -> Iterator[None]:
    """A service that finds the App gone (removed by someone else since this request loaded it)
    raises App.DoesNotExist: the answer is the 404 a removed App gets anywhere."""
    try:
        yield
    except App.DoesNotExist:
        raise Http404("The App was removed.") from None


def _with_params(query, **changes) -> str:
    """What {% querystring %} writes (None removes a parameter), once per column rather than
    twice in the template; without copying the QueryDict (25 links a page: 230 -> 90 us), each
    name and value quoted once per process (portal.speedups.urls.urlencode)."""
    params = []
    for key, values in query.lists():  # in their order; a changed one keeps its place
        if key not in changes:
            params.extend((key, value) for value in values)
        elif changes[key] is not None:
            params.append((key, changes[key]))
    params.extend((key, value) for key, value in changes.items() if value is not None and key not in query)
    return f"?{urlencode(params)}"


def _confirm(request: HttpRequest, app: App | None, **context) -> HttpResponse:
    """The confirmation of a destructive action: a page, or its dialog inside the modal."""
    base = _app_context(request, app) if app else {}
    return _render(request, "confirm.html", "dialog", {**base, **context})
