"""One App's tokens, and enable, disable, remove: each after a confirmation."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from ..forms import selected_ids
from ..selectors import live_tokens, manageable_app
from ..services import app_remove, app_revoke_tokens, app_set_enabled
from ._base import (
    TOKENS_PER_PAGE,
    _app_context,
    _confirm,
    _list_url,
    _origin,
    _redirect,
    removed_meanwhile_is_404,
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
            "working at once, and every account that allowed the App is asked again. The App "
            "secret stays the same, so the App can ask for new tokens."
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
