"""An account's RFC 7591 initial access tokens (design §6.1): the list, a new one (shown once),
and revoke. Portal pages, signed in; every write through oauth.services."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from accounts.selectors import breadcrumb, manageable_account
from apps_registry.models import InitialAccessToken
from portal.audit import Origin
from portal.forms import add_service_errors
from portal.http import sensitive

from ..forms import InitialAccessTokenForm
from ..services import initial_access_token_create, initial_access_token_revoke


@require_http_methods(["GET", "POST"])
def initial_access_tokens(request: HttpRequest, pk: int) -> HttpResponse:
    """The account's initial access tokens, and the form that creates one: the new token is
    shown on the answer to that POST only (never stored in clear, never cached)."""
    account = manageable_account(request.user, pk)
    form = InitialAccessTokenForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            created = initial_access_token_create(
                actor=request.user,
                account=account,
                name=form.cleaned_data["name"],
                expires=timezone.now() + timedelta(days=form.cleaned_data["days"]),
                max_uses=form.cleaned_data["max_uses"],
                origin=Origin.from_request(request),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            form = InitialAccessTokenForm()
    now = timezone.now()
    tokens = list(InitialAccessToken.objects.filter(account=account).select_related("created_by"))
    for token in tokens:
        token.current_state = token.state(now)
    response = render(
        request,
        "oauth/initial_access_tokens.html",
        {
            "account": account,
            "breadcrumb": breadcrumb(request.user, account),
            "form": form,
            "tokens": tokens,
            "created": created[0] if created else None,
            "created_token": created[1] if created else None,
            "register_url": request.build_absolute_uri(reverse("oauth:register_client_create")),
        },
        status=400 if request.method == "POST" and created is None else 200,
    )
    return sensitive(response, referrer_policy="same-origin") if created else response


@require_http_methods(["GET", "POST"])
def initial_access_token_revoke_view(request: HttpRequest, pk: int, token_pk: int) -> HttpResponse:
    """GET asks; POST revokes. A token of an account out of reach is a 404."""
    account = manageable_account(request.user, pk)
    token = get_object_or_404(InitialAccessToken, pk=token_pk, account=account)
    list_url = reverse("oauth:initial_access_tokens", args=[account.pk])
    if request.method == "POST":
        initial_access_token_revoke(actor=request.user, token=token, origin=Origin.from_request(request))
        messages.success(request, f'The initial access token "{token.name}" was revoked.')
        return redirect(list_url)
    return render(
        request,
        "confirm.html",
        {
            "title": "Revoke the initial access token?",
            "message": f'"{token.name}" will register no more Apps. The Apps it registered stay.',
            "action_url": reverse("oauth:initial_access_token_revoke", args=[account.pk, token.pk]),
            "cancel_url": list_url,
            "button": "Revoke",
            "danger": True,
            "count": None,
            "breadcrumb": breadcrumb(request.user, account),
        },
    )
