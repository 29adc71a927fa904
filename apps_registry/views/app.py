"""One App: add, edit, its secret, its tokens, enable, disable, remove."""

from __future__ import annotations

import secrets
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from accounts.selectors import breadcrumb, manageable_account
from portal.forms import add_service_errors

from ..exceptions import (
    DuplicateAppKey,
    LastSecret,
    PublicClientHasNoSecret,
    SecretLimitReached,
    SecretNotFound,
    UnifiedApiNotAllowed,
)
from ..forms import AppAddForm, AppForm, selected_ids
from ..models import MAX_SECRETS, Api, App
from ..selectors import app_made_by_form, app_secrets, app_twin, live_tokens, manageable_app
from ..services import (
    app_add_secret,
    app_create,
    app_regenerate_secret,
    app_remove,
    app_remove_secret,
    app_reveal_secret,
    app_revoke_tokens,
    app_set_enabled,
    app_update,
    check_api_allowed,
    check_app_limit,
)

# --- add and edit -----------------------------------------------------------------------------
from ._base import (
    TOKENS_PER_PAGE,
    _api,
    _app_context,
    _confirm,
    _list_url,
    _origin,
    _partial,
    _redirect,
    _render,
    removed_meanwhile_is_404,
)


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


def _secrets_context(app: App, revealed: tuple[int, str] | None = None) -> dict:
    """What the App's secret list shows: each live secret (masked, or in clear when just
    revealed), who added it and when, when it was last used and its live tokens."""
    return {
        "secrets": app_secrets(app, revealed=revealed),
        "max_secrets": MAX_SECRETS,
        "revealed": revealed is not None,
    }


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


# --- the secret -------------------------------------------------------------------------------


def _secret_id(data) -> int | None:
    value = data.get("secret")
    return int(value) if value and value.isdigit() and len(value) < 19 else None


@never_cache
@require_POST
def app_reveal_secret_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Show one secret in clear (the `secret` posted, or the newest), recorded in the audit
    trail with which secret it was."""
    app = manageable_app(request.user, pk)
    if app.is_public:
        return _no_secret(request, app)
    secret_id = _secret_id(request.POST)
    try:
        value = app_reveal_secret(actor=request.user, app=app, origin=_origin(request), secret_id=secret_id)
    except SecretNotFound:
        raise Http404("This App has no such secret.") from None
    if secret_id is None:
        secret_id = app.live_secrets[-1].pk
    if _partial(request):
        return render(
            request,
            "apps_registry/app_edit.html#secret",
            {"app": app, **_secrets_context(app, (secret_id, value))},
        )
    # Without JavaScript: POST, redirect, GET, so a refresh resends nothing. The GET shows the
    # secret once, for a one-time token kept in the session (never the secret, in the session
    # or the URL); the reveal was audited here, once.
    token = secrets.token_urlsafe(16)
    request.session[REVEALED_SESSION_KEY] = {"token": token, "app": app.pk, "secret": secret_id}
    return redirect(f"{app.get_absolute_url()}?{urlencode({'revealed': token})}")


REVEALED_SESSION_KEY = "apps_registry:revealed"


def _no_secret(request: HttpRequest, app: App) -> HttpResponse:
    """Reveal or Regenerate on a public client, which has no secret: say so on its page."""
    messages.error(request, PublicClientHasNoSecret().messages[0])
    return redirect(app.get_absolute_url())


def _take_revealed(request: HttpRequest, app: App) -> tuple[int, str] | None:
    """(secret id, the secret), when this GET follows the reveal POST of this App (its one-time
    token); the token is used up, so a refresh shows the secret masked again."""
    token = request.GET.get("revealed")
    if not token:
        return None
    mark = request.session.get(REVEALED_SESSION_KEY)
    if not isinstance(mark, dict) or not secrets.compare_digest(str(mark.get("token", "")), token):
        return None
    del request.session[REVEALED_SESSION_KEY]
    if mark.get("app") != app.pk:
        return None  # another App's
    shown = next((secret for secret in app.live_secrets if secret.pk == mark.get("secret")), None)
    return (shown.pk, shown.secret) if shown else None  # None: the secret was removed since


def _new_secret_page(
    request: HttpRequest, app: App, secret: str, *, heading: str, message: str
) -> HttpResponse:
    """The new secret, shown once (it stays revealable, audited, from the App's page); with
    htmx the App page's secret list is updated out of band, the new one in clear there too."""
    new = next(each for each in reversed(app.live_secrets) if each.secret == secret)
    return _render(
        request,
        "apps_registry/app_secret_new.html",
        "dialog",
        _app_context(
            request,
            app,
            secret=secret,
            heading=heading,
            message=message,
            **_secrets_context(app, (new.pk, secret)),
        ),
    )


@never_cache
@require_http_methods(["GET", "POST"])
def app_regenerate_secret_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Replace every secret with one new one after a confirmation; every token of the App
    stops working."""
    app = manageable_app(request.user, pk)
    if app.is_public:
        return _no_secret(request, app)
    if request.method == "POST":
        with removed_meanwhile_is_404():
            app = app_regenerate_secret(actor=request.user, app=app, origin=_origin(request))
        return _new_secret_page(
            request,
            app,
            app.client_secret,
            heading=f"New secret of “{app.name}”",
            message="The secret was regenerated. Every earlier token of the App was revoked.",
        )
    return _confirm(
        request,
        app,
        title=f"Regenerate the secret of “{app.name}”?",
        message=(
            "A new App secret replaces the current one"
            + (" and the other one" if len(app.live_secrets) > 1 else "")
            + ". Every access token and refresh token of the App stops working at once, and the "
            "App must use the new secret from now on. To change the secret without downtime, "
            "add a second secret instead, move the App to it, then remove the old one."
        ),
        count=live_tokens(app).count(),
        action_url=reverse("apps_registry:regenerate_secret", args=[app.pk]),
        button="Regenerate the secret",
        danger=True,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def app_add_secret_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Give the App a second secret after a confirmation; both work until one is removed."""
    app = manageable_app(request.user, pk)
    if app.is_public:
        return _no_secret(request, app)
    if request.method == "POST":
        try:
            with removed_meanwhile_is_404():
                app, value = app_add_secret(actor=request.user, app=app, origin=_origin(request))
        except SecretLimitReached as error:
            messages.error(request, error.messages[0])
            return _redirect(request, app.get_absolute_url())
        return _new_secret_page(
            request,
            app,
            value,
            heading=f"Second secret of “{app.name}”",
            message=(
                "A second secret was added. Both secrets work: move the App to the new one, "
                "then remove the old one. The App's tokens keep working."
            ),
        )
    if len(app.live_secrets) >= MAX_SECRETS:
        messages.error(request, SecretLimitReached(MAX_SECRETS).messages[0])
        return _redirect(request, app.get_absolute_url())
    return _confirm(
        request,
        app,
        title=f"Add a second secret to “{app.name}”?",
        message=(
            "A new secret is generated and shown once. Both secrets work until you remove one, "
            "so the App can move to the new secret without downtime; no token stops working."
        ),
        action_url=reverse("apps_registry:add_secret", args=[app.pk]),
        button="Add a secret",
    )


@never_cache
@require_http_methods(["GET", "POST"])
def app_remove_secret_view(request: HttpRequest, pk: int, secret_pk: int) -> HttpResponse:
    """Remove one of the App's two secrets after a confirmation: the tokens it minted stop
    working, the others do not. A secret of another App, or removed already, is a 404."""
    app = manageable_app(request.user, pk)
    secret = next((each for each in app_secrets(app) if each.pk == secret_pk), None)
    if secret is None:
        raise Http404("This App has no such secret.")
    if request.method == "POST":
        try:
            with removed_meanwhile_is_404():
                revoked = app_remove_secret(
                    actor=request.user, app=app, secret_id=secret.pk, origin=_origin(request)
                )
        except SecretNotFound:
            raise Http404("This App has no such secret.") from None
        except LastSecret as error:
            messages.error(request, error.messages[0])
            return _redirect(request, app.get_absolute_url())
        count = revoked["access_tokens"]
        messages.success(
            request,
            f"The secret {secret.masked} of “{app.name}” was removed, with the "
            f"{count} access token{'s' if count != 1 else ''} it had issued.",
        )
        return _redirect(request, app.get_absolute_url())
    if len(app.live_secrets) <= 1:
        messages.error(request, LastSecret().messages[0])
        return _redirect(request, app.get_absolute_url())
    return _confirm(
        request,
        app,
        title=f"Remove the secret {secret.masked} of “{app.name}”?",
        message=(
            f"The secret {secret.masked} stops working at once, and so does every access token and "
            "refresh token it issued. The App's other secret and its tokens keep working."
        ),
        count=secret.live_tokens,
        action_url=reverse("apps_registry:remove_secret", args=[app.pk, secret.pk]),
        button="Remove the secret",
        danger=True,
    )


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
