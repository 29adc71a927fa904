"""An account's Authorized Apps (design §8): the Apps holding a grant to act for it, and
Revoke access, for one App or the selected ones, after a confirmation."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from accounts.selectors import breadcrumb, manageable_account

from ..exceptions import AppNotAuthorized
from ..forms import selected_ids
from ..selectors import authorized_apps
from ..services import app_revoke_access
from ._base import _confirm, _origin, _redirect


@require_GET
def authorized_apps_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Every App that may act for the account: its public details, since when, last used, its
    live tokens; the owner account only when the viewer manages it."""
    account = manageable_account(request.user, pk)
    return render(
        request,
        "apps_registry/authorized_apps.html",
        {
            "account": account,
            "grants": authorized_apps(request.user, account),
            "breadcrumb": breadcrumb(request.user, account),
        },
    )


@require_http_methods(["GET", "POST"])
def revoke_access_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Revoke access of the selected Apps (`app` ids, one or more), after a confirmation (a
    page, or the modal with htmx). Ids of Apps without a grant for the account are ignored."""
    account = manageable_account(request.user, pk)
    data = request.POST if request.method == "POST" else request.GET
    list_url = reverse("apps_registry:authorized", args=[account.pk])
    ids = selected_ids(data, "app")
    grants = authorized_apps(request.user, account, app_ids=ids) if ids else []
    if not grants:
        messages.warning(request, "Select one or more Apps to revoke their access.")
        return _redirect(request, list_url)
    if request.method == "POST" and data.get("confirmed") == "yes":
        try:
            app_revoke_access(
                actor=request.user,
                account=account,
                apps=[grant.app for grant in grants],
                origin=_origin(request),
            )
        except AppNotAuthorized:  # revoked meanwhile by someone else
            messages.warning(
                request, "The access of these Apps was revoked meanwhile; the list is up to date."
            )
            return _redirect(request, list_url)
        names = ", ".join(f"“{grant.app.name}”" for grant in grants)
        messages.success(request, f"Revoked the access of {names} to {account.username}.")
        return _redirect(request, list_url)
    one = len(grants) == 1
    return _confirm(
        request,
        None,
        title=f"Revoke the access of {'“' + grants[0].app.name + '”' if one else f'{len(grants)} Apps'}?",
        message=(
            f"{'The App loses' if one else 'These Apps lose'} every access token, refresh token and "
            f"unused authorization code acting for {account.username}, and must ask again: the next "
            f"time, {account.username} sees the consent page."
        ),
        items=[grant.app.name for grant in grants],
        count=sum(grant.live_tokens for grant in grants),
        hidden=[("app", grant.app_id) for grant in grants],
        action_url=reverse("apps_registry:revoke_access", args=[account.pk]),
        cancel_url=list_url,
        button="Revoke access",
        danger=True,
        breadcrumb=breadcrumb(request.user, account),
        breadcrumb_parent=("Authorized Apps", list_url),
    )
