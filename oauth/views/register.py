"""/oauth/register.php (design §5): an App registers itself to the account of the user who
signs in on the consent page."""

from __future__ import annotations

import secrets
from urllib.parse import urlencode

from django.contrib.auth import logout
from django.contrib.auth.decorators import login_not_required
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.external import external_providers
from accounts.kinds import Kind
from apps_registry.apis import api_kind
from apps_registry.crypto import generate_credential
from apps_registry.exceptions import ApiNotAllowed, AppLimitReached
from apps_registry.models import Api, AuditSource
from apps_registry.services import Origin, check_api_allowed
from portal.http import sensitive

from ..forms import REGISTER_APP_FIELDS, ConsentLoginForm, RegistrationRequestForm
from ..services import ConsentAlreadyUsed, TwinApp, register_by_consent
from ._consent import (
    consent_page,
    consent_user,
    error_page,
    redirect_with,
    resume_url,
    signed_request,
    unusable_request,
)

REGISTER_SALT = "apps_registry.register"
# Refused rules after the user acted redirect with access_denied and these descriptions.
DENIED_BY_USER = "The user denied the registration."


# --- /oauth/register.php (design §5) ------------------------------------------------------


def _register_context(request, payload: dict, blob: str, form: ConsentLoginForm, twin=None) -> dict:
    app = payload["app"]
    user = request.user if request.user.is_authenticated else None
    kind = api_kind(app["api"])
    refusal = owner_notice = None
    if user is not None:
        try:
            check_api_allowed(owner=user, api=app["api"])
        except ApiNotAllowed:
            # The outcome is certain: say so, and offer only Deny (or another account).
            refusal = (
                f"{user.get_kind_display()} accounts cannot register {kind.label} Apps, so this App cannot "
                f"be registered to {user.get_username()}. Deny to tell the App, or use another account."
            )
    elif kind.not_owned_by:
        # Signed out, the refusal is not certain yet: say before sign-in who cannot register it.
        refused = " or ".join(Kind(each).label for each in kind.not_owned_by)
        owner_notice = (
            f"{refused} accounts cannot register {kind.label} Apps: only an "
            f"{' or '.join(kind.owners_below)} account can."
        )
    return {
        "app": app,
        "api_label": Api(app["api"]).label,
        "blob": blob,
        "login_form": form,
        "refusal": refusal,
        "owner_notice": owner_notice,
        "action": reverse("oauth:register_consent"),
        "external_providers": external_providers(request),
        "external_return": resume_url("oauth:register_resume", blob),
        "twin": twin,
    }


@csrf_exempt  # The App's own page posts here; this only shows the consent page.
@login_not_required
@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    """Check the App's parameters, then show the consent page. Nothing is created here."""
    received = request.GET if request.method == "GET" else request.POST
    form = RegistrationRequestForm(received)
    if not form.is_valid():
        return error_page(request, "This App's registration request is invalid", form.problems())
    app = {field: form.cleaned_data[field] for field in REGISTER_APP_FIELDS}
    app["api"] = form.cleaned_data["api"]
    payload = {
        "app": app,
        "state": form.cleaned_data["state"],
        # Every parameter as received, in order, for the redirect (design §5).
        "received": [[key, value] for key, values in received.lists() for value in values],
        "nonce": secrets.token_urlsafe(24),
        # The App's key, drawn with the page (as the Add App form's): the page sent twice is
        # the App it made (app_add's SENT_ALREADY). Never its secret: the page is readable.
        "client_id": generate_credential(),
    }
    # Signed, so the parameters shown are the parameters used: an edited form fails the check.
    blob = signing.dumps(payload, salt=REGISTER_SALT, compress=True)
    context = _register_context(request, payload, blob, ConsentLoginForm(request))
    return consent_page(request, "oauth/register.html", context)


@login_not_required
@require_safe
def register_resume(request: HttpRequest) -> HttpResponse:
    """The consent page of a request already checked and signed by `register`, shown again
    (after signing in with an external identity provider)."""
    blob = request.GET.get("request", "")
    payload = signed_request(blob, REGISTER_SALT)
    if payload is None:
        return unusable_request(request, "This registration request cannot be used")
    context = _register_context(request, payload, blob, ConsentLoginForm(request))
    return consent_page(request, "oauth/register.html", context)


@login_not_required
@require_POST
def register_consent(request: HttpRequest) -> HttpResponse:
    """The user's answer on the consent page: Register, Deny, or switch account."""
    blob = request.POST.get("request", "")
    payload = signed_request(blob, REGISTER_SALT)
    if payload is None:
        return unusable_request(request, "This registration request cannot be used")
    app, state = payload["app"], payload["state"]
    action = request.POST.get("action")

    if action == "deny":
        return _register_error(app, state, "access_denied", DENIED_BY_USER)
    if action == "switch":
        logout(request)
        context = _register_context(request, payload, blob, ConsentLoginForm(request))
        return consent_page(request, "oauth/register.html", context)
    if action != "register":
        return error_page(request, "Unknown action", ["Choose Register or Deny."])

    form = ConsentLoginForm(request, data=request.POST)
    user = consent_user(request, form)
    if user is None:
        context = _register_context(request, payload, blob, form)
        return consent_page(request, "oauth/register.html", context, status=400)

    try:
        registration = register_by_consent(
            actor=user,
            app_fields=app,
            nonce=payload["nonce"],
            grant_access=request.POST.get("grant_access") == "on",
            origin=Origin.from_request(request, AuditSource.REGISTER),
            http_request=request,
            client_id=payload.get("client_id"),
            confirm_twin=request.POST.get("twin_confirmed") != "yes",
        )
    except ConsentAlreadyUsed as used:
        # The same page submitted again: the App *was* registered; say so, and where it is
        # (its page, or the signed-in account's Apps, found by its name).
        list_url = (
            reverse("apps_registry:list", args=[user.pk])
            + "?"
            + urlencode({"api": app["api"], "q": app["name"]})
        )
        context = {"app": app, "made": used.app, "account": user, "api_label": Api(app["api"]).label}
        page = render(request, "oauth/registered_already.html", {**context, "list_url": list_url}, status=409)
        return sensitive(page)
    except TwinApp as twin:
        # Back after Register (the page drawn again), then Register: ask first, as Add App does.
        context = _register_context(request, payload, blob, form, twin=twin.app)
        return consent_page(request, "oauth/register.html", context, status=409)
    except (ApiNotAllowed, AppLimitReached) as error:
        return _register_error(app, state, "access_denied", " ".join(error.messages))
    except ValidationError as error:
        return error_page(request, "The App cannot be registered", error.messages)

    created, code = registration.app, registration.code
    received = [(key, value) for key, value in payload["received"]]
    ours = {"client_id": created.client_id, "client_secret": created.client_secret}
    if code:
        ours["code"] = code
    params = [(key, value) for key, value in received if key not in ours] + list(ours.items())
    return redirect_with(app["redirect_uri"], params)


def _register_error(app: dict, state: str, error: str, description: str) -> HttpResponse:
    params = [("error", error), ("error_description", description)]
    if state:
        params.append(("state", state))
    return redirect_with(app["redirect_uri"], params)
