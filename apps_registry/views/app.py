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

from accounts.models import Account
from accounts.selectors import breadcrumb, manageable_account
from portal.forms import add_service_errors

from ..exceptions import ApiNotAllowed
from ..forms import AppAddForm, AppForm
from ..models import Api, App
from ..selectors import live_tokens, manageable_app
from ..services import AddOutcome, AppAdd, app_update, check_api_allowed, check_app_limit
from ..services import app_add as app_add_service
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
from .contacts import email_state_help


@never_cache
@require_http_methods(["GET", "POST"])
def app_add(request: HttpRequest, pk: int) -> HttpResponse:
    """The Add App form (a modal with htmx, a page without): the App gets the key and secret
    the form showed; services.app_add decides a form sent twice, a twin, a key taken."""
    account = manageable_account(request.user, pk)
    api = _api(request.GET.get("api"))
    form = AppAddForm(request.POST or None, actor=request.user, owner_pk=account.pk, api=api)
    added = None
    try:
        check_api_allowed(owner=account, api=api)
        if request.method == "POST" and form.is_valid():
            added = app_add_service(
                actor=request.user,
                owner=account,
                api=api,
                origin=_origin(request),
                confirm_twin=not form.cleaned_data["add_anyway"],
                **form.service_arguments(),
            )
    except ApiNotAllowed as error:  # on the way in, or the owner's kind changed meanwhile
        messages.error(request, error.messages[0])
        return _redirect(request, _list_url(account.pk, api))
    except ValidationError as error:
        add_service_errors(form, error)
    match added:
        case AppAdd(outcome=AddOutcome.CREATED, app=app):
            return _added(request, app)
        case AppAdd(outcome=AddOutcome.SENT_ALREADY, app=app):
            return _sent_already(request, app)
        case AppAdd(outcome=AddOutcome.KEY_TAKEN):
            form.renew_credentials(KEY_TAKEN)
        case AppAdd(outcome=AddOutcome.TWIN):
            form.confirm_twin()  # say so; the next Save adds it anyway
    twin = added.app if added is not None and added.outcome is AddOutcome.TWIN else None
    return _add_page(request, account, api, form, twin=twin)


KEY_TAKEN = (
    "An App with this App ID/key exists already. New credentials were generated; submit again to add the App."
)


def _add_page(
    request: HttpRequest, account: Account, api: str, form: AppAddForm, twin: App | None = None
) -> HttpResponse:
    """The Add App form, with the twin it warns of, and on a GET the App limit reached."""
    limit_error = None
    if request.method == "GET":
        try:
            check_app_limit(owner=account)
        except ValidationError as error:
            limit_error = error.messages[0]
    context = {"account": account, "api": api, "api_label": Api(api).label, "form": form}
    context |= {"limit_error": limit_error, "twin": twin, "list_url": _list_url(account.pk, api)}
    return _render(
        request,
        "apps_registry/app_add.html",
        "dialog",
        {**context, "breadcrumb": breadcrumb(request.user, account)},
    )


def _add_another_dialog(request: HttpRequest, app: App) -> HttpResponse:
    """Save and add another in a pop-up: a fresh Add form in the modal; the changelist behind it
    reloads (with the message)."""
    fresh = AppAddForm(actor=request.user, owner_pk=app.owner_id, api=app.api)
    context = {"account": app.owner, "api": app.api, "api_label": Api(app.api).label, "form": fresh}
    response = _render(
        request,
        "apps_registry/app_add.html",
        "dialog",
        {**context, "list_url": _list_url(app.owner_id, app.api)},
    )
    return trigger_client_event(response, "appsChanged")


def _added(request: HttpRequest, app: App) -> HttpResponse:
    """The App was added: say so, then Save, Save and continue editing, or Save and add another."""
    messages.success(request, _saved_message(app, "added"))
    if "_continue" in request.POST:
        return _redirect(request, app.get_absolute_url())
    if "_addanother" in request.POST and request.htmx:
        return _add_another_dialog(request, app)
    if "_addanother" in request.POST:
        return redirect(reverse("apps_registry:add", args=[app.owner_id]) + f"?api={app.api}")
    if request.htmx:
        response = HttpResponse(status=204)
        # Close the modal, and the changelist reloads itself (with the message).
        return trigger_client_event(trigger_client_event(response, "appsChanged"), "closeModal")
    return redirect(_list_url(app.owner_id, app.api))


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
            if _partial(request) and "_addanother" in request.POST:
                return _add_another_dialog(request, app)
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
    form.fields["email"].help_text = email_state_help(app)
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
