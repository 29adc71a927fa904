"""The App management pages (DESIGN 4): thin views that parse, call one service, and answer.

Every App and account is fetched through `manageable_by(request.user)`, so one out of reach
is a 404 whatever the method. With htmx (`request.htmx`) a view answers the named partial of
its page template; without JavaScript the same view answers the whole page.
"""

from __future__ import annotations

from html import escape

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect, trigger_client_event

from accounts.models import Account
from accounts.selectors import breadcrumb, manageable_account
from portal.forms import add_service_errors

from .forms import AppAddForm, AppForm, selected_ids
from .models import AccessToken, Api, App, AuditAction, AuditEvent, AuditSource
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

APPS_PER_PAGE = 50
TOKENS_PER_PAGE = 50
EVENTS_PER_PAGE = 50

# Sortable changelist columns: the `o` parameter -> the field it orders by.
SORTABLE = {
    "name": "name",
    "key": "client_id",
    "trusted": "trusted",
    "enabled": "enabled",
    "created": "created",
}
DEFAULT_ORDER = "name"


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


def _get_app(request: HttpRequest, pk: int) -> App:
    """An App the signed-in account may manage, with its owner's parents for the breadcrumb."""
    queryset = App.objects.manageable_by(request.user).select_related("owner__parent__parent__parent")
    return get_object_or_404(queryset, pk=pk)


def _app_context(request: HttpRequest, app: App, **extra) -> dict:
    return {"app": app, "account": app.owner, "breadcrumb": breadcrumb(request.user, app.owner), **extra}


def _live_tokens(app: App):
    return AccessToken.objects.filter(application_id=app.pk, expires__gt=timezone.now())


def _origin(request: HttpRequest) -> Origin:
    return Origin.from_request(request, source=AuditSource.PORTAL)


# --- the changelist ---------------------------------------------------------------------------


def _url_for_pk(name: str):
    """reverse() once per page, not once per row: the URL of any pk is the pattern's URL with
    the pk put in (int path converters write the pk as str(pk))."""
    marker = 2**62  # no App has this pk
    head, tail = reverse(name, args=[marker]).split(str(marker))
    return lambda pk: f"{head}{pk}{tail}"


# One changelist row; _changelist_rows escapes every value put in.
ROW_HTML = """<tr>
        <td class="col-check"><input class="form-check-input" type="checkbox" name="app" value="{pk}" aria-label="Select {name}"></td>
        <td>{image}</td>
        <td><a href="{edit_url}">{name}</a></td>
        <td class="font-monospace small">{client_id}</td>
        <td>{trusted}</td>
        <td>{enabled}</td>
        <td><time datetime="{created_iso}">{created_text}</time></td>
      </tr>"""  # noqa: E501
IMAGE_HTML = '<img class="app-image" src="{}" alt="" loading="lazy" referrerpolicy="no-referrer">'
NO_IMAGE_HTML = '<span class="app-image-placeholder" aria-hidden="true"></span>'
DISABLED_HTML = '<span class="badge text-bg-warning">No</span>'


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


def _changelist_rows(apps) -> SafeString:
    """The changelist's rows, written here rather than by a template loop: 50 rows of template
    variables, filters and {% url %} tags were most of the page's time (make bench, P4).
    Every text goes through html.escape (what Django's escape does, without its lazy-string
    checks, which were most of the remaining time)."""
    edit_url = _url_for_pk("apps_registry:edit")
    zone = timezone.get_current_timezone()
    rows = []
    for app in apps:
        created = app["created"].astimezone(zone)
        image = app["image_uri"]
        rows.append(
            ROW_HTML.format(
                pk=int(app["pk"]),
                name=escape(app["name"]),
                image=IMAGE_HTML.format(escape(image)) if image.startswith("https://") else NO_IMAGE_HTML,
                edit_url=escape(edit_url(app["pk"])),
                client_id=escape(app["client_id"]),
                trusted="Yes" if app["trusted"] else "No",
                enabled="Yes" if app["enabled"] else DISABLED_HTML,
                created_iso=created.isoformat(),
                created_text=created.strftime("%Y-%m-%d %H:%M"),
            )
        )
    return mark_safe("\n".join(rows))  # noqa: S308 - every value in the rows is escaped above


@require_GET
def integration(request: HttpRequest) -> HttpResponse:
    """Unified Communications > Integration > SystemAPI & UnifiedAPI: one's own Apps."""
    return redirect("apps_registry:list", request.user.pk)


@require_GET
def app_list(request: HttpRequest, pk: int) -> HttpResponse:
    """An account's Apps, one tab per API: search, sort, pages; the same number of queries
    whatever the number of Apps."""
    account = manageable_account(request.user, pk)
    api = _api(request.GET.get("api"))
    # PostgreSQL refuses a NUL in a query (a 500); no name or key holds one.
    query = request.GET.get("q", "").replace("\x00", "").strip()[:255]
    order = request.GET.get("o", DEFAULT_ORDER)
    if order.removeprefix("-") not in SORTABLE:
        order = DEFAULT_ORDER
    descending = order.startswith("-")
    field = SORTABLE[order.removeprefix("-")]
    apps = account.apps.for_api(api).values(
        "pk", "name", "client_id", "trusted", "enabled", "created", "image_uri"
    )
    if query:
        apps = apps.filter(Q(name__icontains=query) | Q(client_id__icontains=query))
    apps = apps.order_by(f"-{field}" if descending else field, "pk")
    page = Paginator(apps, APPS_PER_PAGE).get_page(request.GET.get("page"))
    columns = [
        {
            "key": key,
            "label": label,
            "sorted": order.removeprefix("-") == key,
            "descending": descending,
            "url": _with_params(request.GET, o=f"-{key}" if order == key else key, page=None),
        }
        for key, label in [
            ("name", "Name"),
            ("key", "App ID/key"),
            ("trusted", "Trusted"),
            ("enabled", "Enabled"),
            ("created", "Created"),
        ]
    ]
    return _render(
        request,
        "apps_registry/app_list.html",
        "changelist",
        {
            "account": account,
            "api": api,
            "apis": Api.choices,
            "page": page,
            "rows": _changelist_rows(page.object_list),
            "query": query,
            "order": order,
            "columns": columns,
            "unified_refused": api == Api.UNIFIEDAPI and not account.may_own_unifiedapi_apps,
            "breadcrumb": breadcrumb(request.user, account),
        },
    )


@require_http_methods(["GET", "POST"])
def app_bulk_remove(request: HttpRequest, pk: int) -> HttpResponse:
    """Remove the Apps selected in the changelist, after a page that lists them. Ids of Apps
    that are not this account's, or out of reach, are ignored."""
    account = manageable_account(request.user, pk)
    data = request.POST if request.method == "POST" else request.GET
    api = _api(data.get("api"))
    apps = list(
        App.objects.manageable_by(request.user)
        .filter(owner=account, pk__in=selected_ids(data, "app"))
        .select_related("owner")
        .annotate(live_tokens=Count("accesstoken", filter=Q(accesstoken__expires__gt=timezone.now())))
        .order_by("name", "pk")
    )
    if not apps:
        messages.warning(request, "Select one or more Apps to remove.")
        return _redirect(request, _list_url(account.pk, api))
    if request.method == "POST" and data.get("confirmed") == "yes":
        removed = []
        for app in apps:
            try:
                app_remove(actor=request.user, app=app, origin=_origin(request))
            except App.DoesNotExist:
                continue  # removed meanwhile by someone else: nothing left to do
            removed.append(app.name)
        messages.success(request, f"Removed {len(removed)} App{'s' if len(removed) != 1 else ''}.")
        return _redirect(request, _list_url(account.pk, api))
    return render(
        request,
        "apps_registry/app_bulk_remove.html",
        {
            "account": account,
            "api": api,
            "apps": apps,
            "live_tokens": sum(app.live_tokens for app in apps),
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
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return _redirect(request, list_url)
    form = AppAddForm(request.POST or None, owner_pk=account.pk, api=api)
    limit_error = None
    if request.method == "POST" and form.is_valid():
        try:
            app = app_create(
                actor=request.user,
                owner=account,
                api=api,
                origin=_origin(request),
                **form.service_arguments(),
            )
        except ValidationError as error:
            codes = {e.code for e in error.error_list} if not hasattr(error, "error_dict") else set()
            if "unified_api_not_allowed" in codes:
                messages.error(request, error.messages[0])
                return _redirect(request, list_url)
            if "client_id" in getattr(error, "error_dict", {}):
                # The signed pair was used already: this form was sent twice.
                form.renew_credentials(
                    "An App with this App ID/key exists already: was the form sent twice? "
                    "New credentials were generated; submit again only to add a second App."
                )
            else:
                add_service_errors(form, error)
        else:
            messages.success(request, f"The App “{app.name}” was added.")
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
            "list_url": list_url,
            "breadcrumb": breadcrumb(request.user, account),
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
def app_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The App's page: the same form, pre-filled; secret masked, with Reveal and Regenerate."""
    app = _get_app(request, pk)
    form = AppForm(request.POST or None, instance=app)
    if request.method == "POST" and form.is_valid():
        try:
            app = app_update(actor=request.user, app=app, origin=_origin(request), **form.service_arguments())
        except App.DoesNotExist:
            raise Http404("The App was removed.") from None
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"The App “{app.name}” was saved.")
            return redirect(_list_url(app.owner_id, app.api))
    # The form wrote the submitted values onto `app` while validating; show the stored ones.
    app = _get_app(request, pk) if form.is_bound else app
    return _edit_page(request, app, form)


def _edit_page(request: HttpRequest, app: App, form: AppForm, secret: str | None = None) -> HttpResponse:
    return render(
        request,
        "apps_registry/app_edit.html",
        _app_context(
            request,
            app,
            form=form,
            secret=secret,
            live_tokens=_live_tokens(app).count(),
            list_url=_list_url(app.owner_id, app.api),
        ),
    )


# --- the secret -------------------------------------------------------------------------------


@never_cache
@require_POST
def app_reveal_secret_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Show the secret in clear (recorded in the audit trail)."""
    app = _get_app(request, pk)
    secret = app_reveal_secret(actor=request.user, app=app, origin=_origin(request))
    if _partial(request):
        return render(request, "apps_registry/app_edit.html#secret", {"app": app, "secret": secret})
    return _edit_page(request, app, AppForm(instance=app), secret=secret)


@never_cache
@require_http_methods(["GET", "POST"])
def app_regenerate_secret_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Replace the secret after a confirmation; every token of the App stops working."""
    app = _get_app(request, pk)
    if request.method == "POST":
        try:
            app = app_regenerate_secret(actor=request.user, app=app, origin=_origin(request))
        except App.DoesNotExist:
            raise Http404("The App was removed.") from None
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
        count=_live_tokens(app).count(),
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
    app = _get_app(request, pk)
    tokens = (
        _live_tokens(app)
        .select_related("user")
        .only("pk", "expires", "created", "user_agent", "scope", "user__username", "user__kind")
        .order_by("expires", "pk")
    )
    page = Paginator(tokens, TOKENS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "apps_registry/app_tokens.html",
        _app_context(request, app, page=page, list_url=_list_url(app.owner_id, app.api)),
    )


@require_http_methods(["GET", "POST"])
def app_revoke_tokens_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Revoke the selected tokens (`token` ids) or, without any, all of them (the secret
    stays), after a confirmation. Ids of other Apps' tokens are ignored."""
    app = _get_app(request, pk)
    data = request.POST if request.method == "POST" else request.GET
    ids = selected_ids(data, "token")
    selected = (
        list(_live_tokens(app).filter(pk__in=ids).select_related("user").order_by("expires")) if ids else None
    )
    tokens_url = reverse("apps_registry:tokens", args=[app.pk])
    if selected == []:
        messages.warning(request, "Select one or more tokens to revoke.")
        return _redirect(request, tokens_url)
    if request.method == "POST" and data.get("confirmed") == "yes":
        try:
            revoked = app_revoke_tokens(
                actor=request.user,
                app=app,
                origin=_origin(request),
                access_token_ids=[token.pk for token in selected] if selected else None,
            )
        except App.DoesNotExist:
            raise Http404("The App was removed.") from None
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
        count=_live_tokens(app).count(),
        action_url=reverse("apps_registry:revoke_tokens", args=[app.pk]),
        button="Revoke all tokens",
        danger=True,
    )


# --- enable, disable, remove ------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def app_set_enabled_view(request: HttpRequest, pk: int, enabled: bool) -> HttpResponse:
    """Disable an App (no token, its tokens refused) or enable it again, after a confirmation."""
    app = _get_app(request, pk)
    if request.method == "POST":
        try:
            app_set_enabled(actor=request.user, app=app, enabled=enabled, origin=_origin(request))
        except App.DoesNotExist:
            raise Http404("The App was removed.") from None
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
        count=_live_tokens(app).count(),
        action_url=reverse("apps_registry:disable", args=[app.pk]),
        button="Disable the App",
        danger=True,
    )


@require_http_methods(["GET", "POST"])
def app_remove_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Remove an App with all its tokens, after a confirmation naming it."""
    app = _get_app(request, pk)
    list_url = _list_url(app.owner_id, app.api)
    if request.method == "POST":
        try:
            app_remove(actor=request.user, app=app, origin=_origin(request))
        except App.DoesNotExist:
            raise Http404("The App was removed.") from None
        messages.success(request, f"The App “{app.name}” was removed.")
        return _redirect(request, list_url)
    return _confirm(
        request,
        app,
        title=f"Remove “{app.name}”?",
        message="The App is deleted with every token and authorization code it holds. This cannot be undone.",
        count=_live_tokens(app).count(),
        count_verb="die with it",
        action_url=reverse("apps_registry:remove", args=[app.pk]),
        button="Remove the App",
        danger=True,
    )


# --- the audit trail --------------------------------------------------------------------------


@require_GET
def audit_trail(request: HttpRequest, pk: int) -> HttpResponse:
    """Who did what to which App of the account, when and from where; filterable by App."""
    account: Account = manageable_account(request.user, pk)
    events = AuditEvent.objects.filter(account=account)
    app_choices = list(
        events.order_by("app_client_id", "app_name").values_list("app_client_id", "app_name").distinct()
    )
    # Filter on the key, not the row: an App removed since keeps its history.
    selected = request.GET.get("app", "").replace("\x00", "")[:255]  # PostgreSQL refuses a NUL
    if selected:
        events = events.filter(app_client_id=selected)
    page = Paginator(
        events.only(
            "pk",
            "created",
            "actor_username",
            "app_id",
            "app_name",
            "app_client_id",
            "action",
            "source",
            "ip_address",
            "details",
        ),
        EVENTS_PER_PAGE,
    ).get_page(request.GET.get("page"))
    for event in page.object_list:
        event.details_text = _details_text(event.details)
    return render(
        request,
        "apps_registry/audit_trail.html",
        {
            "account": account,
            "page": page,
            "app_choices": app_choices,
            "selected": selected,
            "actions": AuditAction,
            "breadcrumb": breadcrumb(request.user, account),
        },
    )


def _details_text(details: dict) -> str:
    """An audit row's details in words: "fields: name, homepage; access_tokens: 3"."""
    parts = []
    for key, value in (details or {}).items():
        shown = ", ".join(map(str, value)) if isinstance(value, list | tuple) else str(value)
        parts.append(f"{key.replace('_', ' ')}: {shown}")
    return "; ".join(parts)
