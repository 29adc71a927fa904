"""An App's admin e-mail (design §3): the public page a confirmation link opens, and asking
for a new link from the App's page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.views.decorators.http import require_http_methods, require_POST

from .. import notices
from ..models import App, EmailConfirmation
from ..selectors import manageable_app
from ..services import app_email_confirm, app_email_confirmation_ask
from ._base import _origin, _redirect, removed_meanwhile_is_404


def email_state_help(app: App) -> str | SafeString:
    """What the App's page says under its admin e-mail: whether the notices go there."""
    if app.email.strip().lower() == (app.owner.email or "").strip().lower():
        return "The owning account's address: it gets the App's notices."
    if app.client_rule:
        return (
            "The App registered itself, and its registrant may change this address at any time: "
            "kept for information, never mailed."
        )
    if app.email_confirmed is not None:
        return "Confirmed: it gets the App's notices (without who made a change)."
    return format_html(
        '{} <button type="submit" form="email-confirmation-form" class="btn btn-link btn-sm p-0 '
        'align-baseline" id="ask-email-confirmation">Mail a new link</button>',
        "Not confirmed: the App's notices go to the owning account's address only, until whoever "
        "reads this one opens the link mailed to it.",
    )


@login_not_required
@require_http_methods(["GET", "POST"])
def email_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The link mailed to an admin e-mail. GET only shows what it confirms (mail scanners open
    links); the Confirm button POSTs. Anyone holding the link may confirm: it went to that
    address alone. Nothing anyone typed is shown but the address itself."""
    context: dict = {"token": token}
    try:
        confirmation = (
            EmailConfirmation.objects.select_related("app").filter(pk=notices.confirmation_id(token)).first()
        )
    except signing.BadSignature:  # forged or expired: the same answer as a dangling one
        confirmation = None
    if confirmation is not None:
        context.update(address=confirmation.address, client_id=confirmation.app.client_id)
    if request.method == "POST":
        try:
            app_email_confirm(token=token, origin=_origin(request))
        except ValidationError as error:
            context["error"] = error.messages[0]
            return render(request, "apps_registry/email_confirm.html", context, status=400)
        context["done"] = True
    elif confirmation is None:
        context["error"] = "This link is not valid, or it has expired."
        return render(request, "apps_registry/email_confirm.html", context, status=400)
    return render(request, "apps_registry/email_confirm.html", context)


@require_POST
def app_email_confirmation_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Mail the App's admin e-mail a new confirmation link (the App's page), or say why not."""
    app = manageable_app(request.user, pk)
    with removed_meanwhile_is_404():
        try:
            app_email_confirmation_ask(actor=request.user, app=app, origin=_origin(request))
        except ValidationError as error:
            messages.error(request, error.messages[0])
        else:
            messages.success(request, f"A confirmation link is on its way to {app.email}.")
    return _redirect(request, app.get_absolute_url())
