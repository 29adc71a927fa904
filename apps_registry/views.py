"""The App management pages (design §4): thin views that parse, call one service, and answer.

Every App and account is fetched through the selectors `manageable_app` and
`manageable_account`, so one out of reach is a 404 whatever the method. With htmx
(`request.htmx`) a view answers the named partial of its page template; without JavaScript the
same view answers the whole page.
"""

from __future__ import annotations

import csv
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.html import format_html
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect, trigger_client_event

from accounts.models import Account, AccountEvent
from accounts.selectors import breadcrumb, manageable_account
from portal.forms import add_service_errors

from .exceptions import DuplicateAppKey, UnifiedApiNotAllowed
from .forms import AppAddForm, AppForm, selected_ids
from .models import Api, App, AuditAction, AuditSource
from .selectors import (
    FILTER_PARAMETERS,
    LIST_FILTERS,
    AuditFilters,
    app_changelist,
    app_made_by_form,
    app_twin,
    apps_to_remove,
    audit_action_choices,
    audit_actor_choices,
    audit_app_choices,
    audit_events,
    audit_timeline,
    changelist_apps,
    changelist_counts,
    clean_audit_filters,
    clean_filters,
    live_tokens,
    manageable_app,
)
from .services import (
    Origin,
    app_create,
    app_regenerate_secret,
    app_remove,
    app_reveal_secret,
    app_revoke_tokens,
    app_set_enabled,
    app_update,
    check_api_allowed,
    check_app_limit,
)

TOKENS_PER_PAGE = 50
# The changelist's columns: the `o` value that sorts by each, and its heading.
COLUMNS = [
    ("name", "Name"),
    ("key", "App ID/key"),
    ("trusted", "Trusted"),
    ("enabled", "Enabled"),
    ("created", "Created"),
]


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
    return value if value in Api.values else Api.SYSTEMAPI


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


# --- the changelist ---------------------------------------------------------------------------


def _with_params(query, **changes) -> str:
    """What {% querystring %} writes (None removes a parameter), once per column rather than
    twice in the template."""
    params = query.copy()
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value
    return f"?{params.urlencode()}"


@require_GET
def integration(request: HttpRequest) -> HttpResponse:
    """Unified Communications > Integration > SystemAPI & UnifiedAPI: one's own Apps."""
    return redirect("apps_registry:list", request.user.pk)


@require_GET
def app_list(request: HttpRequest, pk: int) -> HttpResponse:
    """An account's Apps, one tab per API: search, filter sidebar, sort, pages, actions on the
    selected rows; the same number of queries whatever the number of Apps."""
    account = manageable_account(request.user, pk)
    api = _api(request.GET.get("api"))
    filters = clean_filters(request.GET)
    changelist = app_changelist(
        account,
        api=api,
        query=request.GET.get("q", ""),
        order=request.GET.get("o", ""),
        page=request.GET.get("page"),
        filters=filters,
    )
    counts = changelist_counts(account, api=api, query=changelist.query, filters=filters)
    limit = settings.APP_LIMIT_PER_ACCOUNT
    columns = [
        {
            "key": key,
            "label": label,
            "sorted": changelist.sorted_by == key,
            "descending": changelist.descending,
            "url": _with_params(request.GET, o=f"-{key}" if changelist.order == key else key, page=None),
        }
        for key, label in COLUMNS
    ]
    sidebar = [
        {
            "parameter": list_filter.parameter,
            "title": list_filter.title,
            "choices": [
                {
                    "label": label,
                    "count": counts[f"{list_filter.parameter}={value}"] if value else None,
                    "selected": filters.get(list_filter.parameter, "") == value,
                    "url": _with_params(request.GET, **{list_filter.parameter: value or None, "page": None}),
                }
                for value, label in (("", "All"), *list_filter.choices)
            ],
        }
        for list_filter in LIST_FILTERS
    ]
    return _render(
        request,
        "apps_registry/app_list.html",
        "changelist",
        {
            "account": account,
            "api": api,
            "page": changelist.page,
            "page_range": changelist.page.paginator.get_elided_page_range(changelist.page.number),
            "query": changelist.query,
            "order": changelist.order,
            "filters": filters,
            "sidebar": sidebar,
            "clear_filters_url": _with_params(request.GET, page=None, **dict.fromkeys(FILTER_PARAMETERS)),
            "columns": columns,
            "actions": ACTIONS,
            "unified_refused": api == Api.UNIFIEDAPI and not account.may_own_unifiedapi_apps,
            "tabs": [(value, label, counts[value]) for value, label in Api.choices],
            "total": counts["total"],
            "limit": limit,
            "at_limit": counts["total"] >= limit,
            "breadcrumb": breadcrumb(request.user, account),
        },
    )


# The actions menu of the changelist: what each does to one App, through its service, and the
# words of its confirmation page.
ACTIONS = {
    "remove": {
        "label": "Remove selected Apps",
        "title": "Remove",
        "button": "Yes, remove them",
        "message": "These Apps are deleted with every token and authorization code they hold. "
        "This cannot be undone.",
        "tokens": "die with them",
        "done": "Removed",
        "danger": True,
    },
    "disable": {
        "label": "Disable selected Apps",
        "title": "Disable",
        "button": "Yes, disable them",
        "message": "While disabled, these Apps get no token and their tokens are refused. Nothing "
        "is deleted: enabling them again makes their unexpired tokens work again.",
        "tokens": "stop working while they are disabled",
        "done": "Disabled",
        "danger": True,
    },
    "enable": {
        "label": "Enable selected Apps",
        "title": "Enable",
        "button": "Yes, enable them",
        "message": "These Apps may get tokens again, and their tokens that have not expired work again.",
        "tokens": "work again",
        "done": "Enabled",
        "danger": False,
    },
    "regenerate": {
        "label": "Regenerate the secrets of selected Apps",
        "title": "Regenerate the secrets of",
        "button": "Yes, regenerate their secrets",
        "message": "Each App gets a new App secret (reveal it on the App's page), and every access "
        "token and refresh token of these Apps stops working at once.",
        "tokens": "stop working",
        "done": "Regenerated the secrets of",
        "danger": True,
    },
}


def _run_action(request: HttpRequest, action: str, app: App) -> None:
    origin = _origin(request)
    if action == "remove":
        app_remove(actor=request.user, app=app, origin=origin)
    elif action in ("disable", "enable"):
        app_set_enabled(actor=request.user, app=app, enabled=action == "enable", origin=origin)
    else:
        app_regenerate_secret(actor=request.user, app=app, origin=origin)


@require_http_methods(["GET", "POST"])
def app_bulk_action(request: HttpRequest, pk: int, action: str | None = None) -> HttpResponse:
    """An action of the changelist's menu (`action`: remove, disable, enable, regenerate) on the
    selected Apps (`app` ids) or, with `select_across`, on every App the changelist showed
    (its tab, search and filters, sent along), after a page that lists them. Each App goes
    through its own service call; ids of Apps that are not this account's, or out of reach,
    are ignored."""
    account = manageable_account(request.user, pk)
    data = request.POST if request.method == "POST" else request.GET
    action = action or data.get("action", "")
    api = _api(data.get("api"))
    list_url = _list_url(account.pk, api)
    if action not in ACTIONS:
        messages.warning(request, "Choose an action for the selected Apps.")
        return _redirect(request, list_url)
    across = None
    kept = {"api": api}
    if data.get("select_across") == "1":
        filters = clean_filters(data)
        across = changelist_apps(account, api=api, query=data.get("q", ""), filters=filters)
        kept = {"api": api, "select_across": "1", "q": data.get("q", ""), **filters}
    apps = apps_to_remove(request.user, account, selected_ids(data, "app"), across=across)
    words = ACTIONS[action]
    if not apps:
        messages.warning(request, f"Select one or more Apps to {action}.")
        return _redirect(request, list_url)
    if request.method == "POST" and data.get("confirmed") == "yes":
        done = 0
        for app in apps:
            try:
                _run_action(request, action, app)
            except App.DoesNotExist:
                continue  # removed meanwhile by someone else: nothing left to do
            done += 1
        messages.success(request, f"{words['done']} {done} App{'s' if done != 1 else ''}.")
        return _redirect(request, list_url)
    return render(
        request,
        "apps_registry/app_bulk_remove.html",
        {
            "account": account,
            "api": api,
            "action": action,
            "words": words,
            "apps": apps,
            "kept": kept,
            "across": across is not None,
            "live_tokens": sum(app.live_tokens for app in apps),
            "list_url": list_url,
            "breadcrumb": breadcrumb(request.user, account),
        },
    )


# --- add and edit -----------------------------------------------------------------------------


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
    return _edit_page(request, app, form, secret=None if form.is_bound else _take_revealed(request, app))


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


def _edit_page(request: HttpRequest, app: App, form: AppForm, secret: str | None = None) -> HttpResponse:
    """The App's page, or with htmx its pop-up (the changelist's name links)."""
    return _render(
        request,
        "apps_registry/app_edit.html",
        "dialog",
        _app_context(
            request,
            app,
            form=form,
            secret=secret,
            app_urls=_app_urls(request, app),
            live_tokens=live_tokens(app).count(),
            list_url=_list_url(app.owner_id, app.api),
        ),
    )


# --- the secret -------------------------------------------------------------------------------


@never_cache
@require_POST
def app_reveal_secret_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Show the secret in clear (recorded in the audit trail)."""
    app = manageable_app(request.user, pk)
    secret = app_reveal_secret(actor=request.user, app=app, origin=_origin(request))
    if _partial(request):
        return render(request, "apps_registry/app_edit.html#secret", {"app": app, "secret": secret})
    # Without JavaScript: POST, redirect, GET, so a refresh resends nothing. The GET shows the
    # secret once, for a one-time token kept in the session (never the secret, in the session
    # or the URL); the reveal was audited here, once.
    token = secrets.token_urlsafe(16)
    request.session[REVEALED_SESSION_KEY] = {"token": token, "app": app.pk, "version": app.secret_version}
    return redirect(f"{app.get_absolute_url()}?{urlencode({'revealed': token})}")


REVEALED_SESSION_KEY = "apps_registry:revealed"


def _take_revealed(request: HttpRequest, app: App) -> str | None:
    """The secret, when this GET follows the reveal POST of this App (its one-time token);
    the token is used up, so a refresh shows the secret masked again."""
    token = request.GET.get("revealed")
    if not token:
        return None
    mark = request.session.get(REVEALED_SESSION_KEY)
    if not isinstance(mark, dict) or not secrets.compare_digest(str(mark.get("token", "")), token):
        return None
    del request.session[REVEALED_SESSION_KEY]
    if mark.get("app") != app.pk or mark.get("version") != app.secret_version:
        return None  # another App's, or the secret changed since it was revealed
    return app.client_secret


@never_cache
@require_http_methods(["GET", "POST"])
def app_regenerate_secret_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Replace the secret after a confirmation; every token of the App stops working."""
    app = manageable_app(request.user, pk)
    if request.method == "POST":
        with removed_meanwhile_is_404():
            app = app_regenerate_secret(actor=request.user, app=app, origin=_origin(request))
        return _render(
            request,
            "apps_registry/app_secret_regenerated.html",
            "dialog",
            _app_context(request, app, secret=app.client_secret),
        )
    return _confirm(
        request,
        app,
        title=f"Regenerate the secret of “{app.name}”?",
        message=(
            "A new App secret replaces the current one. Every access token and refresh token of "
            "the App stops working at once, and the App must use the new secret from now on."
        ),
        count=live_tokens(app).count(),
        action_url=reverse("apps_registry:regenerate_secret", args=[app.pk]),
        button="Regenerate the secret",
        danger=True,
    )


def _confirm(request: HttpRequest, app: App | None, **context) -> HttpResponse:
    """The confirmation of a destructive action: a page, or its dialog inside the modal."""
    base = _app_context(request, app) if app else {}
    return _render(request, "confirm.html", "dialog", {**base, **context})


# --- tokens -----------------------------------------------------------------------------------


@require_GET
def app_tokens(request: HttpRequest, pk: int) -> HttpResponse:
    """The App's live access tokens: the account each acts for, expiry, user agent."""
    app = manageable_app(request.user, pk)
    tokens = (
        live_tokens(app)
        .select_related("user")
        .only("pk", "expires", "created", "user_agent", "scope", "user__username", "user__kind")
        .order_by("expires", "pk")
    )
    page = Paginator(tokens, TOKENS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "apps_registry/app_tokens.html",
        _app_context(
            request,
            app,
            page=page,
            page_range=page.paginator.get_elided_page_range(page.number),
            list_url=_list_url(app.owner_id, app.api),
        ),
    )


@require_http_methods(["GET", "POST"])
def app_revoke_tokens_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Revoke the selected tokens (`token` ids) or, without any, all of them (the secret
    stays), after a confirmation. Ids of other Apps' tokens are ignored."""
    app = manageable_app(request.user, pk)
    data = request.POST if request.method == "POST" else request.GET
    ids = selected_ids(data, "token")
    selected = (
        list(live_tokens(app).filter(pk__in=ids).select_related("user").order_by("expires")) if ids else None
    )
    tokens_url = reverse("apps_registry:tokens", args=[app.pk])
    if selected == []:
        messages.warning(request, "Select one or more tokens to revoke.")
        return _redirect(request, tokens_url)
    if request.method == "POST" and data.get("confirmed") == "yes":
        with removed_meanwhile_is_404():
            revoked = app_revoke_tokens(
                actor=request.user,
                app=app,
                origin=_origin(request),
                access_token_ids=[token.pk for token in selected] if selected else None,
            )
        count = revoked.get("access_tokens", 0)
        messages.success(request, f"Revoked {count} access token{'s' if count != 1 else ''} of “{app.name}”.")
        return _redirect(request, tokens_url)
    if selected:
        return _confirm(
            request,
            app,
            title=f"Revoke {len(selected)} token{'s' if len(selected) != 1 else ''} of “{app.name}”?",
            message="These access tokens and their refresh tokens stop working at once.",
            tokens=selected,
            hidden=[("token", token.pk) for token in selected],
            action_url=reverse("apps_registry:revoke_tokens", args=[app.pk]),
            cancel_url=tokens_url,
            button="Revoke the selected tokens",
            danger=True,
        )
    return _confirm(
        request,
        app,
        title=f"Revoke every token of “{app.name}”?",
        message=(
            "Every access token, refresh token and unused authorization code of the App stops "
            "working at once. The App secret stays the same, so the App can ask for new tokens."
        ),
        count=live_tokens(app).count(),
        action_url=reverse("apps_registry:revoke_tokens", args=[app.pk]),
        button="Revoke all tokens",
        danger=True,
    )


# --- enable, disable, remove ------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def app_set_enabled_view(request: HttpRequest, pk: int, enabled: bool) -> HttpResponse:
    """Disable an App (no token, its tokens refused) or enable it again, after a confirmation."""
    app = manageable_app(request.user, pk)
    if request.method == "POST":
        with removed_meanwhile_is_404():
            app_set_enabled(actor=request.user, app=app, enabled=enabled, origin=_origin(request))
        messages.success(request, f"The App “{app.name}” is {'enabled' if enabled else 'disabled'}.")
        return _redirect(request, app.get_absolute_url())
    if enabled:
        return _confirm(
            request,
            app,
            title=f"Enable “{app.name}”?",
            message="The App may get tokens again, and its tokens that have not expired work again.",
            action_url=reverse("apps_registry:enable", args=[app.pk]),
            button="Enable the App",
        )
    return _confirm(
        request,
        app,
        title=f"Disable “{app.name}”?",
        message=(
            "While disabled, the App gets no token and its tokens are refused. Nothing is deleted: "
            "enabling it again makes its unexpired tokens work again."
        ),
        count=live_tokens(app).count(),
        action_url=reverse("apps_registry:disable", args=[app.pk]),
        button="Disable the App",
        danger=True,
    )


@require_http_methods(["GET", "POST"])
def app_remove_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Remove an App with all its tokens, after a confirmation naming it."""
    app = manageable_app(request.user, pk)
    list_url = _list_url(app.owner_id, app.api)
    if request.method == "POST":
        with removed_meanwhile_is_404():
            app_remove(actor=request.user, app=app, origin=_origin(request))
        messages.success(request, f"The App “{app.name}” was removed.")
        return _redirect(request, list_url)
    return _confirm(
        request,
        app,
        title=f"Remove “{app.name}”?",
        message="The App is deleted with every token and authorization code it holds. This cannot be undone.",
        count=live_tokens(app).count(),
        count_verb="die with it",
        action_url=reverse("apps_registry:remove", args=[app.pk]),
        button="Remove the App",
        danger=True,
    )


# --- the audit trail --------------------------------------------------------------------------


def _audit_context(request: HttpRequest, account: Account) -> tuple[AuditFilters, dict]:
    filters = clean_audit_filters(request.GET)
    return filters, {
        "account": account,
        "filters": filters,
        "selected": filters.app_key,
        "app_choices": audit_app_choices(account),
        "action_choices": audit_action_choices(),
        "actor_choices": audit_actor_choices(account),
        "time_zone": timezone.get_current_timezone_name(),
        "breadcrumb": breadcrumb(request.user, account),
    }


@require_GET
def audit_trail(request: HttpRequest, pk: int) -> HttpResponse:
    """Who did what to which App of the account, and to the account and the accounts below
    it, when (with the time zone) and from where, newest first; filterable by App (which
    leaves out the account changes), action, actor and dates, and exported as CSV."""
    account: Account = manageable_account(request.user, pk)
    filters, context = _audit_context(request, account)
    page = audit_timeline(account, filters=filters, page=request.GET.get("page"))
    for event in page.object_list:
        event.details_text = details_text(event)
    csv_query = request.GET.copy()
    csv_query.pop("page", None)
    return render(
        request,
        "apps_registry/audit_trail.html",
        {
            **context,
            "page": page,
            "page_range": page.paginator.get_elided_page_range(page.number),
            "csv_url": reverse("apps_registry:audit_csv", args=[account.pk])
            + (f"?{csv_query.urlencode()}" if csv_query else ""),
        },
    )


class _Echo:
    """A file-like object whose write() returns the line: csv.writer's output, streamed."""

    def write(self, value: str) -> str:
        return value


CSV_HEADER = [
    "when",
    "time zone",
    "who",
    "did",
    "app or account",
    "app id/key",
    "through",
    "from address",
    "details",
]


@require_GET
def audit_trail_csv(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    """The audit trail as CSV, with the page's filters, every page; no secret is ever in it
    (the audit rows hold none)."""
    account: Account = manageable_account(request.user, pk)
    filters = clean_audit_filters(request.GET)
    zone = timezone.get_current_timezone()
    writer = csv.writer(_Echo())

    def rows() -> Iterator[str]:
        yield writer.writerow(CSV_HEADER)
        for event in audit_events(account, filters=filters):
            created = event.created.astimezone(zone)
            is_account = isinstance(event, AccountEvent)
            yield writer.writerow(
                [
                    created.strftime("%Y-%m-%d %H:%M:%S"),
                    created.tzname(),
                    _csv_cell(event.actor_username),
                    event.get_action_display(),
                    _csv_cell(event.account_username if is_account else event.app_name),
                    "" if is_account else _csv_cell(event.app_client_id),
                    event.get_source_display(),
                    event.ip_address or "",
                    _csv_cell(details_text(event)),
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-trail-{account.pk}.csv"'
    response["Cache-Control"] = "no-store"
    return response


def _csv_cell(value: str) -> str:
    """A cell a spreadsheet will not run as a formula (OWASP CSV injection)."""
    value = str(value or "")
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


# The words for the fields an audit row names (the form's labels, lower case).
FIELD_WORDS = {
    "name": "name",
    "description": "description",
    "homepage": "homepage",
    "image_uri": "image",
    "email": "admin email",
    "phone": "admin phone",
    "trusted": "trusted",
    "redirect_uri": "redirect URL",
}
ACCOUNT_FIELD_WORDS = {"email": "e-mail", "is_active": "active", "parent": "parent account"}
COUNT_WORDS = (
    ("access_tokens", "access token"),
    ("refresh_tokens", "refresh token"),
    ("id_tokens", "ID token"),
    ("authorization_codes", "authorization code"),
)


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def details_text(event) -> str:
    """An audit row's details in words: "Changed name and homepage", "3 access tokens and 3
    refresh tokens revoked", never the internal counters' names."""
    details = dict(event.details or {})
    parts = []
    fields = details.pop("fields", None)
    if isinstance(fields, list) and fields:
        words = ACCOUNT_FIELD_WORDS if isinstance(event, AccountEvent) else FIELD_WORDS
        parts.append("Changed " + _and([words.get(str(f), str(f).replace("_", " ")) for f in fields]))
    counts = []
    for key, word in COUNT_WORDS:
        value = details.pop(key, None)
        if isinstance(value, int) and value:
            counts.append(f"{value} {word}{'s' if value != 1 else ''}")
    if counts:
        verb = "deleted with it" if event.action == AuditAction.REMOVE else "revoked"
        parts.append(f"{_and(counts)} {verb}")
    elif event.action in (AuditAction.REGENERATE_SECRET, AuditAction.REVOKE_TOKENS, AuditAction.REMOVE):
        parts.append("No live token")
    api = details.pop("api", None)
    if api:
        parts.append(f"{Api(api).label if api in Api.values else api} App")
    kind = details.pop("kind", None)
    if kind:
        parts.append(f"{str(kind).replace('_', ' ').capitalize()} account")
    provider = details.pop("provider", None)
    if provider:
        uid = details.pop("uid", "")
        parts.append(f"{str(provider).capitalize()} identity {uid}".strip())
    for key, value in details.items():  # anything else, as it is
        shown = ", ".join(map(str, value)) if isinstance(value, list | tuple) else str(value)
        parts.append(f"{key.replace('_', ' ')}: {shown}")
    return "; ".join(parts)
