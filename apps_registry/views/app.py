"""One App: add and edit."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_htmx.http import trigger_client_event

from accounts.selectors import breadcrumb, manageable_account
from portal.forms import add_service_errors

from ..exceptions import DuplicateAppKey, UnifiedApiNotAllowed
from ..forms import AppAddForm, AppForm
from ..models import Api, App
from ..selectors import app_made_by_form, app_twin, live_tokens, manageable_app
from ..services import app_create, app_update, check_api_allowed, check_app_limit
from ._base import (
    _api,
    _app_context,
    _list_url,
    _origin,
    _partial,
    _redirect,
    _render,
    removed_meanwhile_is_404,
)
from .app_secret import _secrets_context, _take_revealed


@never_cache
@require_http_methods(["GET", "POST"])
def app_add(request: HttpRequest, pk: int) -> HttpResponse:
    """The Add App form (a modal with htmx, a page without); the App gets the key and secret
    the form showed."""
    account = manageable_account(request.user, pk)
    api = _api(request.GET.get("api"))
    list_url = _list_url(account.pk, api)
    try:
        check_api_allowed(owner=account, api=api)
    except UnifiedApiNotAllowed as error:
        messages.error(request, error.messages[0])
        return _redirect(request, list_url)
    form = AppAddForm(request.POST or None, actor=request.user, owner_pk=account.pk, api=api)
    limit_error = twin = None
    if request.method == "POST" and form.is_valid():
        # This form's signed key is an App already: the form was sent twice (a double click,
        # or Back then OK). Show the App the first submit made, never add a second.
        made = app_made_by_form(request.user, account, api=api, client_id=form.generated["client_id"])
        if made is not None:
            return _sent_already(request, made)
        if not form.cleaned_data["add_anyway"]:
            twin = app_twin(
                account,
                api=api,
                name=form.cleaned_data["name"],
                redirect_uri=form.cleaned_data["redirect_uri"],
            )
            if twin is not None and twin.client_id == form.generated["client_id"]:
                # The same form, sent at the same moment: its twin is the App it made.
                return _sent_already(request, twin)
            if twin is not None:
                form.confirm_twin()  # say so; the next OK adds it anyway
    if request.method == "POST" and form.is_valid() and twin is None:
        try:
            app = app_create(
                actor=request.user,
                owner=account,
                api=api,
                origin=_origin(request),
                **form.service_arguments(),
            )
        except UnifiedApiNotAllowed as error:  # the owner's kind changed meanwhile
            messages.error(request, error.messages[0])
            return _redirect(request, list_url)
        except DuplicateAppKey:
            # Sent twice at the same moment: the other submit won the INSERT.
            made = app_made_by_form(request.user, account, api=api, client_id=form.generated["client_id"])
            if made is not None:
                return _sent_already(request, made)
            form.renew_credentials(
                "An App with this App ID/key exists already. New credentials were generated; "
                "submit again to add the App."
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _saved_message(app, "added"))
            add_url = reverse("apps_registry:add", args=[account.pk]) + f"?api={api}"
            if "_continue" in request.POST:
                return _redirect(request, app.get_absolute_url())
            if "_addanother" in request.POST and request.htmx:
                # A fresh form in the modal; the changelist behind it reloads (with the message).
                response = _render(
                    request,
                    "apps_registry/app_add.html",
                    "dialog",
                    {
                        "account": account,
                        "api": api,
                        "api_label": Api(api).label,
                        "form": AppAddForm(actor=request.user, owner_pk=account.pk, api=api),
                        "list_url": list_url,
                    },
                )
                return trigger_client_event(response, "appsChanged")
            if "_addanother" in request.POST:
                return redirect(add_url)
            if request.htmx:
                response = HttpResponse(status=204)
                # Close the modal, and the changelist reloads itself (with the message).
                return trigger_client_event(trigger_client_event(response, "appsChanged"), "closeModal")
            return redirect(list_url)
    elif request.method == "GET":
        try:
            check_app_limit(owner=account)
        except ValidationError as error:
            limit_error = error.messages[0]
    return _render(
        request,
        "apps_registry/app_add.html",
        "dialog",
        {
            "account": account,
            "api": api,
            "api_label": Api(api).label,
            "form": form,
            "limit_error": limit_error,
            "twin": twin,
            "list_url": list_url,
            "breadcrumb": breadcrumb(request.user, account),
        },
    )


def _saved_message(app: App, done: str) -> str:
    """The success message of Add and Edit: a link to the App, and its key again (the admin's
    "The App “X” was added successfully.")."""
    return format_html(
        'The App “<a href="{}" class="alert-link">{}</a>” was {}. Its App ID/key is '
        '<span class="font-monospace key">{}</span>.',
        app.get_absolute_url(),
        app.name,
        done,
        app.client_id,
    )


def _sent_already(request: HttpRequest, made: App) -> HttpResponse:
    """An Add App form sent again: say the App was added then, and show it."""
    messages.info(
        request,
        f"This form was sent already: the App “{made.name}” was added then, and nothing more was added now.",
    )
    if request.htmx:
        response = HttpResponse(status=204)
        return trigger_client_event(trigger_client_event(response, "appsChanged"), "closeModal")
    return redirect(made.get_absolute_url())


@never_cache
@require_http_methods(["GET", "POST"])
def app_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The App's page: the same form, pre-filled; secret masked, with Reveal and Regenerate."""
    app = manageable_app(request.user, pk)
    form = AppForm(request.POST or None, actor=request.user, instance=app)
    if request.method == "POST" and form.is_valid():
        try:
            with removed_meanwhile_is_404():
                app = app_update(
                    actor=request.user, app=app, origin=_origin(request), **form.service_arguments()
                )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _saved_message(app, "changed"))
            if _partial(request) and "_continue" not in request.POST:
                # Saved in the pop-up: close it, and the changelist reloads (with the message).
                response = HttpResponse(status=204)
                return trigger_client_event(trigger_client_event(response, "appsChanged"), "closeModal")
            if _partial(request):
                # Continue editing: the pop-up again, as saved; the changelist behind reloads.
                response = _edit_page(request, app, AppForm(actor=request.user, instance=app))
                return trigger_client_event(response, "appsChanged")
            if "_continue" in request.POST:
                return redirect(app.get_absolute_url())
            if "_addanother" in request.POST:
                return redirect(reverse("apps_registry:add", args=[app.owner_id]) + f"?api={app.api}")
            return redirect(_list_url(app.owner_id, app.api))
    # The form wrote the submitted values onto `app` while validating; show the stored ones.
    app = manageable_app(request.user, pk) if form.is_bound else app
    return _edit_page(request, app, form, revealed=None if form.is_bound else _take_revealed(request, app))


def _app_urls(request: HttpRequest, app: App) -> list[tuple[str, str, str]]:
    """The addresses worth pasting into the App's code: (field id, label, URL)."""
    authorize = (
        request.build_absolute_uri(reverse("oauth:authorize"))
        + "?"
        + urlencode({"response_type": "code", "client_id": app.client_id, "redirect_uri": app.redirect_uri})
    )
    return [
        ("url-authorize", "Authorization URL", authorize),
        ("url-token", "Token URL", request.build_absolute_uri(reverse("oauth:token"))),
    ]


def _edit_page(
    request: HttpRequest, app: App, form: AppForm, revealed: tuple[int, str] | None = None
) -> HttpResponse:
    """The App's page, or with htmx its pop-up (the changelist's name links)."""
    return _render(
        request,
        "apps_registry/app_edit.html",
        "dialog",
        _app_context(
            request,
            app,
            form=form,
            **_secrets_context(app, revealed),
            app_urls=_app_urls(request, app),
            live_tokens=live_tokens(app).count(),
            authorized_accounts=app.authorizations.count(),
            list_url=_list_url(app.owner_id, app.api),
        ),
    )
