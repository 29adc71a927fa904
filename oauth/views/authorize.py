"""/oauth/authorize.php (design §6): the authorization code flow's consent page."""

from __future__ import annotations

import re

from django.contrib.auth import logout
from django.contrib.auth.decorators import login_not_required
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe
from oauth2_provider.exceptions import FatalClientError, OAuthToolkitError
from oauth2_provider.http import OAuth2ResponseRedirect
from oauth2_provider.oauth2_backends import get_oauthlib_core

from accounts.external import external_providers
from apps_registry.models import App
from apps_registry.selectors import consent_remembered
from portal.http import sensitive

from ..client_metadata import enabled as client_metadata_enabled
from ..client_metadata import failure, is_document_id, metadata_document_host
from ..discovery import resource_problem
from ..forms import ConsentLoginForm
from ..issuer import configured_issuer
from ._consent import (
    consent_page,
    consent_user,
    error_page,
    redirect_with,
    resume_url,
    signed_request,
    unusable_request,
)

AUTHORIZE_SALT = "apps_registry.authorize"
PLAIN_PKCE_REFUSED = 'The "plain" code_challenge_method is refused (RFC 9700); use "S256".'
BAD_PKCE_CHALLENGE = "The code_challenge must be 43 to 128 characters from A-Z a-z 0-9 - . _ ~ (RFC 7636)."
PKCE_CHALLENGE = re.compile(r"[A-Za-z0-9._~-]{43,128}")
# OpenID Connect Core 3.1.2.6, for prompt=none when the page would have to be shown.
PROMPT_NONE_ERRORS = {
    "login_required": "The user is not signed in, and prompt=none forbids asking.",
    "consent_required": "The user has not authorized this App, and prompt=none forbids asking.",
}


# --- /oauth/authorize.php (design §6) -----------------------------------------------------


def _authorize_error(
    request: HttpRequest, error: OAuthToolkitError, client_id: str | None = None
) -> HttpResponse:
    """The error redirect oauthlib allows, or an error page where redirecting is not safe
    (an unknown client or a redirect_uri that does not match)."""
    oauthlib_error = error.oauthlib_error
    if isinstance(error, FatalClientError) or not oauthlib_error.redirect_uri:
        description = oauthlib_error.description or oauthlib_error.error
        client_id = request.GET.get("client_id", "")
        if is_document_id(client_id) and oauthlib_error.error == "invalid_request":
            # An unknown client that names a metadata document: say what was wrong with it.
            description = _document_problem(client_id)
        return error_page(request, "This authorization request is invalid", [description])
    return redirect_with(
        oauthlib_error.redirect_uri,
        _with_iss(oauthlib_error.twotuples),
        _schemes(client_id or oauthlib_error.client_id or request.GET.get("client_id")),
    )


def _document_problem(url: str) -> str:
    if not client_metadata_enabled():
        return "This portal does not take Client ID Metadata Documents: the client_id must be an App's key."
    why = failure(url) or "it could not be used"
    return f"The client's metadata document {url} cannot be used: {why}."


def _schemes(client_id: str | None) -> list[str]:
    """The schemes a redirect to this App may use (its redirect URLs', checked by oauthlib)."""
    app = App.objects.filter(client_id=client_id).first() if client_id else None
    return app.get_allowed_schemes() if app is not None else ["https"]


def _with_iss(params: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """An error response's parameters with the issuer's `iss` (RFC 9207 §2: error responses
    carry it too, as the metadata promises), when an issuer is configured."""
    issuer = configured_issuer()
    return [*params, ("iss", issuer)] if issuer else params


def _authorize_refusal(credentials: dict, description: str, error: str = "invalid_request") -> HttpResponse:
    """invalid_request (or `error`), sent to the redirect URL oauthlib has just checked."""
    params = [("error", error), ("error_description", description)]
    if credentials.get("state"):
        params.append(("state", credentials["state"]))
    return redirect_with(
        credentials["redirect_uri"], _with_iss(params), _schemes(credentials.get("client_id"))
    )


def _authorize_page(request, payload: dict, blob: str, form: ConsentLoginForm, status: int = 200):
    app = App.objects.select_related("owner").filter(client_id=payload["credentials"]["client_id"]).first()
    if app is None or not app.enabled or not app.owner.is_active:
        # Removed or disabled since the page was first shown, or its owner deactivated.
        return error_page(request, "This App cannot be authorized", ["The App was removed or disabled."])
    context = {
        "app": app,
        # design §6.1: nobody vouches for an open-registered App or a metadata document's; say
        # so, with where the browser goes next (and, for a document, the host that serves it).
        "unverified": app.unverified,
        "metadata_host": metadata_document_host(app),
        "redirect_uri": payload["credentials"].get("redirect_uri") or app.redirect_uri,
        "api_label": app.get_api_display(),
        "blob": blob,
        "login_form": form,
        "action": reverse("oauth:authorize"),
        "external_providers": external_providers(request),
        "external_return": resume_url("oauth:authorize_resume", blob),
    }
    return consent_page(request, "oauth/authorize.html", context, status=status)


@login_not_required
@require_http_methods(["GET", "POST"])
def authorize(request: HttpRequest) -> HttpResponse:
    """GET: check the request (client, exact redirect_uri, PKCE when sent) and show the
    consent page, or, to a user who authorized the App before and did not revoke it, answer
    with the code at once (`prompt=consent` asks anyway; `prompt=none` never asks).
    POST: the user's answer, with the checked request bound by a signature."""
    core = get_oauthlib_core()
    if request.method == "GET":
        try:
            scopes, credentials = core.validate_authorization_request(request)
        except OAuthToolkitError as error:
            return _authorize_error(request, error)
        client = credentials.pop("request").client
        if resources := request.GET.getlist("resource"):
            # RFC 8707 §2: one of our resources, for this App's API; the grant records it.
            if problem := resource_problem(resources, client.api):
                return _authorize_refusal(credentials, problem, error="invalid_target")
            credentials["resource"] = resources
        if credentials.get("code_challenge_method") == "plain":
            # django-oauth-toolkit refuses it only once the user has consented; say so first.
            return _authorize_refusal(credentials, PLAIN_PKCE_REFUSED)
        challenge = credentials.get("code_challenge")
        if challenge is not None and not PKCE_CHALLENGE.fullmatch(challenge):
            # oauthlib checks only the method; the grant's column would refuse the rest (a 500).
            return _authorize_refusal(credentials, BAD_PKCE_CHALLENGE)
        prompt = set(request.GET.get("prompt", "").split())
        if "none" in prompt and len(prompt) > 1:
            return _authorize_refusal(credentials, "prompt=none cannot be combined with other values.")
        app = client
        if (
            request.user.is_authenticated
            and not prompt & {"consent", "login"}
            and app is not None
            and consent_remembered(request.user, app)
        ):
            # design §8: authorized before and not revoked: the code, without asking again.
            return _issue_code(request, core, scopes, _plain(credentials))
        if "none" in prompt:
            error = "consent_required" if request.user.is_authenticated else "login_required"
            return _authorize_refusal(credentials, PROMPT_NONE_ERRORS[error], error=error)
        payload = {"scopes": scopes, "credentials": _plain(credentials)}
        blob = signing.dumps(payload, salt=AUTHORIZE_SALT, compress=True)
        return _authorize_page(request, payload, blob, ConsentLoginForm(request))

    blob = request.POST.get("request", "")
    payload = signed_request(blob, AUTHORIZE_SALT)
    if payload is None:
        return unusable_request(request, "This authorization request cannot be used")
    action = request.POST.get("action")
    if action == "switch":
        logout(request)
        return _authorize_page(request, payload, blob, ConsentLoginForm(request))
    allow = action == "allow"
    if (
        allow
        and not App.objects.filter(
            client_id=payload["credentials"].get("client_id"), enabled=True, owner__is_active=True
        ).exists()
    ):
        return error_page(request, "This App cannot be authorized", ["The App was removed or disabled."])
    if allow:
        form = ConsentLoginForm(request, data=request.POST)
        if consent_user(request, form) is None:
            return _authorize_page(request, payload, blob, form, status=400)
    return _issue_code(request, core, payload["scopes"], payload["credentials"], allow=allow)


def _issue_code(request: HttpRequest, core, scopes: list[str], credentials: dict, allow: bool = True):
    """The answer to the App: a code (the validator records the user's grant with it), or
    access_denied."""
    try:
        uri, _headers, _body, _status = core.create_authorization_response(
            request, scopes=" ".join(scopes), credentials=credentials, allow=allow
        )
    except OAuthToolkitError as error:
        return _authorize_error(request, error, credentials.get("client_id"))
    return sensitive(OAuth2ResponseRedirect(uri, _schemes(credentials.get("client_id"))))


@login_not_required
@require_safe
def authorize_resume(request: HttpRequest) -> HttpResponse:
    """The consent page of an authorization request already checked and signed by
    `authorize`, shown again (after signing in with an external identity provider)."""
    blob = request.GET.get("request", "")
    payload = signed_request(blob, AUTHORIZE_SALT)
    if payload is None:
        return unusable_request(request, "This authorization request cannot be used")
    return _authorize_page(request, payload, blob, ConsentLoginForm(request))


def _plain(credentials: dict) -> dict:
    """The JSON-safe part of oauthlib's checked credentials, to be signed into the form."""
    return {key: value for key, value in credentials.items() if isinstance(value, str | int | list | None)}
