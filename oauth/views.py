"""The OAuth 2.0 endpoints (design §5 and 6): /oauth/register.php, authorize, token, revoke,
introspect, and the "who am I" resource /uapi/@me.

django-oauth-toolkit (through its OAuthLibCore and our Validator) does the OAuth work:
authorization codes, token issue, refresh, revocation. The views here add what VoipNow's
endpoints do beyond it: self-registration, a consent page one can sign in on, error
descriptions on every token error, introspection that names the API and the account.
"""

from __future__ import annotations

import json
import re
import secrets
from urllib.parse import parse_qsl, unquote_to_bytes, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_not_required
from django.core import signing
from django.core.exceptions import BadRequest, RequestDataTooBig, TooManyFieldsSent, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views import csrf as django_csrf
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from oauth2_provider.exceptions import FatalClientError, OAuthToolkitError
from oauth2_provider.oauth2_backends import get_oauthlib_core
from oauth2_provider.signals import app_authorized
from oauth2_provider.views import RevokeTokenView, TokenView
from oauthlib.common import Request as OAuthlibRequest

from accounts.external import external_providers
from accounts.models import Account
from apps_registry.exceptions import AppLimitReached, UnifiedApiNotAllowed
from apps_registry.models import AccessToken, Api, App, AuditSource
from apps_registry.services import Origin, check_api_allowed
from portal.http import sensitive
from portal.metrics import count_token_request

from .forms import REGISTER_APP_FIELDS, ConsentLoginForm, RegistrationRequestForm
from .housekeeping import CONSENT_MAX_AGE
from .selectors import introspection, token_for_me
from .services import ConsentAlreadyUsed, register_by_consent
from .validator import checksum, issued_access_token

REGISTER_SALT = "apps_registry.register"
AUTHORIZE_SALT = "apps_registry.authorize"
# Refused rules after the user acted redirect with access_denied and these descriptions.
DENIED_BY_USER = "The user denied the registration."
PLAIN_PKCE_REFUSED = 'The "plain" code_challenge_method is refused (RFC 9700); use "S256".'
BAD_PKCE_CHALLENGE = "The code_challenge must be 43 to 128 characters from A-Z a-z 0-9 - . _ ~ (RFC 7636)."
PKCE_CHALLENGE = re.compile(r"[A-Za-z0-9._~-]{43,128}")


def consent_page(request: HttpRequest, template: str, context: dict, status: int = 200) -> HttpResponse:
    """A consent page: never cached. Its Referrer-Policy is same-origin, not no-referrer: with
    no-referrer a browser sends the page's own form with `Origin: null`, which Django's CSRF
    check refuses. No Referer leaves for another site either way, and the redirects that carry
    the secret and the code send no-referrer."""
    response = render(request, template, context, status=status)
    return sensitive(response, referrer_policy="same-origin")


def error_page(request: HttpRequest, title: str, errors: list[str], status: int = 400) -> HttpResponse:
    """An error shown to the user, with no redirect (design §5: no open redirector)."""
    return sensitive(render(request, "oauth/error.html", {"title": title, "errors": errors}, status=status))


def redirect_with(uri: str, params: list[tuple[str, str]]) -> HttpResponse:
    """302 to `uri` with `params` appended after the parameters already in its query."""
    parts = urlsplit(uri)
    query = parse_qsl(parts.query, keep_blank_values=True) + params
    return sensitive(HttpResponseRedirect(urlunsplit(parts._replace(query=urlencode(query)))))


def signed_request(blob: str, salt: str) -> dict | None:
    """The request a consent page was shown for, if its signature holds and it is fresh."""
    try:
        return signing.loads(blob, salt=salt, max_age=CONSENT_MAX_AGE)
    except signing.BadSignature:  # SignatureExpired included
        return None


def unusable_request(request: HttpRequest, title: str) -> HttpResponse:
    return error_page(request, title, ["It was changed, or it has expired. Start again from the App."])


def resume_url(name: str, blob: str) -> str:
    """A GET URL that shows the same consent page again (the signed request in its query):
    where a sign-in with an external identity provider comes back to."""
    return f"{reverse(name)}?{urlencode({'request': blob})}"


def consent_user(request: HttpRequest, form: ConsentLoginForm) -> Account | None:
    """The account acting on a consent page: the session's, or the one signed in with the
    credentials typed on the page (which then becomes the session's)."""
    if request.user.is_authenticated:
        return request.user
    if form.is_valid():
        login(request, form.get_user())
        return form.get_user()
    return None


# --- /oauth/register.php (design §5) ------------------------------------------------------


def _register_context(request, payload: dict, blob: str, form: ConsentLoginForm) -> dict:
    app = payload["app"]
    user = request.user if request.user.is_authenticated else None
    refusal = None
    if user is not None:
        try:
            check_api_allowed(owner=user, api=app["api"])
        except UnifiedApiNotAllowed:
            # The outcome is certain: say so, and offer only Deny (or another account).
            refusal = (
                f"Service Provider accounts cannot register UnifiedAPI Apps, so this App cannot be "
                f"registered to {user.get_username()}. Deny to tell the App, or use another account."
            )
    return {
        "app": app,
        "api_label": Api(app["api"]).label,
        "blob": blob,
        "login_form": form,
        "refusal": refusal,
        # Signed out, the refusal is not certain yet: say before sign-in who cannot register it.
        "unified_notice": user is None and app["api"] == Api.UNIFIEDAPI,
        "action": reverse("oauth:register_consent"),
        "external_providers": external_providers(request),
        "external_return": resume_url("oauth:register_resume", blob),
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
        )
    except ConsentAlreadyUsed:
        # Back after Register, then Register again: the App *was* registered; say so, and
        # where it is (the signed-in account's Apps, found by its name).
        list_url = (
            reverse("apps_registry:list", args=[user.pk])
            + "?"
            + urlencode({"api": app["api"], "q": app["name"]})
        )
        page = render(
            request,
            "oauth/registered_already.html",
            {"app": app, "account": user, "api_label": Api(app["api"]).label, "list_url": list_url},
            status=409,
        )
        return sensitive(page)
    except (UnifiedApiNotAllowed, AppLimitReached) as error:
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


# --- /oauth/authorize.php (design §6) -----------------------------------------------------


def _authorize_error(request: HttpRequest, error: OAuthToolkitError) -> HttpResponse:
    """The error redirect oauthlib allows, or an error page where redirecting is not safe
    (an unknown client or a redirect_uri that does not match)."""
    oauthlib_error = error.oauthlib_error
    if isinstance(error, FatalClientError) or not oauthlib_error.redirect_uri:
        description = oauthlib_error.description or oauthlib_error.error
        return error_page(request, "This authorization request is invalid", [description])
    return redirect_with(oauthlib_error.redirect_uri, oauthlib_error.twotuples)


def _authorize_refusal(credentials: dict, description: str) -> HttpResponse:
    """invalid_request, sent to the redirect URL oauthlib has just checked."""
    params = [("error", "invalid_request"), ("error_description", description)]
    if credentials.get("state"):
        params.append(("state", credentials["state"]))
    return redirect_with(credentials["redirect_uri"], params)


def _authorize_page(request, payload: dict, blob: str, form: ConsentLoginForm, status: int = 200):
    app = App.objects.select_related("owner").filter(client_id=payload["credentials"]["client_id"]).first()
    if app is None or not app.enabled or not app.owner.is_active:
        # Removed or disabled since the page was first shown, or its owner deactivated.
        return error_page(request, "This App cannot be authorized", ["The App was removed or disabled."])
    context = {
        "app": app,
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
    consent page. POST: the user's answer, with the checked request bound by a signature."""
    core = get_oauthlib_core()
    if request.method == "GET":
        try:
            scopes, credentials = core.validate_authorization_request(request)
        except OAuthToolkitError as error:
            return _authorize_error(request, error)
        credentials.pop("request", None)
        if credentials.get("code_challenge_method") == "plain":
            # django-oauth-toolkit refuses it only once the user has consented; say so first.
            return _authorize_refusal(credentials, PLAIN_PKCE_REFUSED)
        challenge = credentials.get("code_challenge")
        if challenge is not None and not PKCE_CHALLENGE.fullmatch(challenge):
            # oauthlib checks only the method; the grant's column would refuse the rest (a 500).
            return _authorize_refusal(credentials, BAD_PKCE_CHALLENGE)
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
    try:
        uri, _headers, _body, _status = core.create_authorization_response(
            request, scopes=" ".join(payload["scopes"]), credentials=payload["credentials"], allow=allow
        )
    except OAuthToolkitError as error:
        return _authorize_error(request, error)
    return sensitive(HttpResponseRedirect(uri))


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


# --- /oauth/token.php, /oauth/revoke -----------------------------------------------------

# oauthlib leaves some errors without a description; design §6 wants one on each (except
# invalid_client, which is exactly {"error": "invalid_client"}).
ERROR_DESCRIPTIONS = {
    "invalid_request": "The request is missing a parameter or is malformed.",
    "invalid_grant": "The authorization code or refresh token is invalid, expired, revoked or "
    "was issued to another App.",
    "unauthorized_client": "This App may not use this grant type (client_credentials is for "
    "trusted Apps only).",
    "invalid_scope": "The requested scope is not allowed.",
    "unsupported_token_type": "Only access_token and refresh_token can be revoked.",
}
GRANT_TYPES = ("authorization_code", "refresh_token", "client_credentials")


def token_error(request: HttpRequest, body: dict, status: int) -> HttpResponse:
    """An error of the token or revocation endpoint, in the exact shape of design §6."""
    response = sensitive(JsonResponse(body, status=status))
    if status == 401 and request.headers.get("Authorization", "")[:6].lower() == "basic ":
        # RFC 6749 5.2: the challenge names the scheme the client used.
        response["WWW-Authenticate"] = 'Basic realm="oauth"'
    return response


FORM_URLENCODED = "application/x-www-form-urlencoded"


def _not_utf8(request: HttpRequest) -> bool:
    """A form-urlencoded body whose decoded bytes are not UTF-8. Django decodes such a body
    leniently (each bad byte becomes U+FFFD), so a client would be answered about parameters
    it never sent; the README promises a 400 instead."""
    if request.content_type != FORM_URLENCODED:
        return False
    try:
        unquote_to_bytes(request.body.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def unreadable_body(request: HttpRequest) -> HttpResponse | None:
    """An invalid_request error when the body cannot be parsed (form-urlencoded that is not
    UTF-8, a broken multipart body, more than DATA_UPLOAD_MAX_MEMORY_SIZE bytes or
    DATA_UPLOAD_MAX_NUMBER_FIELDS fields): the client gets the error in the endpoint's JSON
    shape, not Django's HTML 400 page."""
    try:
        if _not_utf8(request):
            raise BadRequest("not UTF-8")
        request.POST  # noqa: B018 -- parsing is the point
    except (RequestDataTooBig, TooManyFieldsSent):
        body = {
            "error": "invalid_request",
            "error_description": f"The body is too large (at most {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} "
            f"bytes and {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS} fields).",
        }
        return token_error(request, body, 413)
    except (BadRequest, MultiPartParserError):
        body = {
            "error": "invalid_request",
            "error_description": "The body must be application/x-www-form-urlencoded in UTF-8, "
            "or multipart/form-data.",
        }
        return token_error(request, body, 400)
    return None


def normalized(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """oauthlib's error, reshaped: a wrong key or secret is exactly {"error": "invalid_client"}
    (401); other errors carry an error_description and no `state` (a token request has none,
    but VoipNow clients send state=0 anyway)."""
    if response.status_code < 400:
        return response
    try:
        body = json.loads(response.content)
    except ValueError:
        return response
    if not isinstance(body, dict) or not body.get("error"):
        return response
    if body["error"] == "invalid_client":
        return token_error(request, {"error": "invalid_client"}, 401)
    body.pop("state", None)
    if not body.get("error_description"):
        body["error_description"] = ERROR_DESCRIPTIONS.get(body["error"], "The request was refused.")
    return token_error(request, body, response.status_code)


def counted(grant_type: str | None, response: HttpResponse) -> HttpResponse:
    """Count the token endpoint's answer (portal_token_requests_total): `issued`, or its error."""
    outcome = "issued"
    if response.status_code != 200:
        try:
            outcome = str(json.loads(response.content).get("error", "other"))
        except (ValueError, AttributeError):
            outcome = "other"
    count_token_request(grant_type, outcome)
    return response


class Token(TokenView):
    """django-oauth-toolkit's token endpoint: body or Basic credentials, form-urlencoded or
    multipart bodies (Django parses both into request.POST), unknown fields ignored."""

    def post(self, request, *args, **kwargs):
        if refused := unreadable_body(request):
            return counted(None, refused)
        grant_type = request.POST.get("grant_type")
        return counted(grant_type, self.answer(request, grant_type, *args, **kwargs))

    def answer(self, request, grant_type: str | None, *args, **kwargs) -> HttpResponse:
        if not grant_type:
            # oauthlib calls this unsupported_grant_type; RFC 6749 5.2 says invalid_request.
            body = {"error": "invalid_request", "error_description": "The grant_type parameter is missing."}
            return token_error(request, body, 400)
        if grant_type not in GRANT_TYPES:
            # The password, implicit and device grants are not offered at all.
            description = "Use authorization_code, refresh_token or client_credentials."
            return token_error(
                request, {"error": "unsupported_grant_type", "error_description": description}, 400
            )
        return normalized(request, super().post(request, *args, **kwargs))

    def authorization_flow_token_response(self, request, *args, **kwargs):
        """As django-oauth-toolkit's, except that app_authorized gets the access token the
        validator saved instead of one read back by its checksum (a query per token issued)."""
        reset = issued_access_token.set(None)
        try:
            _url, headers, body, status = self.create_token_response(request)
            issued = issued_access_token.get()
        finally:
            issued_access_token.reset(reset)
        if status == 200 and issued is None:
            # No access token saved by this request (not expected): django-oauth-toolkit's way.
            value = json.loads(body).get("access_token")
            issued = AccessToken.objects.filter(token_checksum=checksum(value)).first() if value else None
        if status == 200 and issued is not None:
            app_authorized.send(sender=self, request=request, token=issued)
        response = HttpResponse(content=body, status=status)
        for key, value in headers.items():
            response[key] = value
        return response


token = Token.as_view()


class Revoke(RevokeTokenView):
    def post(self, request, *args, **kwargs):
        if refused := unreadable_body(request):
            return refused
        return normalized(request, super().post(request, *args, **kwargs))


revoke = Revoke.as_view()


# --- /oauth/introspect (RFC 7662) --------------------------------------------------------


def authenticated_client(request: HttpRequest) -> App | None:
    """The App whose key and secret came with the request (Basic or body), if they match."""
    core = get_oauthlib_core()
    uri, method, body, headers = core._extract_params(request)
    oauthlib_request = OAuthlibRequest(uri, method, body, headers)
    if core.server.request_validator.authenticate_client(oauthlib_request):
        return oauthlib_request.client
    return None


@csrf_exempt
@login_not_required
@require_POST
def introspect(request: HttpRequest) -> HttpResponse:
    """RFC 7662. The caller authenticates as an App (of an active owner). An App may introspect
    its own tokens; a resource server those of the Apps within its owner's Administrator's
    tree (selectors.may_introspect). Anything else is simply not active."""
    if refused := unreadable_body(request):
        return refused
    client = authenticated_client(request)
    if client is not None and not Account.objects.filter(pk=client.owner_id, is_active=True).exists():
        client = None  # an App whose owner is deactivated is refused, as a disabled one is
    if client is None:
        response = JsonResponse({"error": "invalid_client"}, status=401)
        response["WWW-Authenticate"] = 'Basic realm="oauth"'
        return sensitive(response)
    value = request.POST.get("token")
    if not value:
        body = {"error": "invalid_request", "error_description": "The token parameter is missing."}
        return sensitive(JsonResponse(body, status=400))

    answer = introspection(client, value, token_type_hint=request.POST.get("token_type_hint"))
    return sensitive(JsonResponse(answer))


# --- /uapi/@me and /unifiedapi/@me -------------------------------------------------------


def api_error(code: str, message: str, status: int = 401) -> JsonResponse:
    response = JsonResponse({"error": {"code": code, "message": message}}, status=status)
    challenge = 'Bearer realm="unifiedapi"'
    if code != "missing_token":
        challenge += ', error="invalid_token"'
    response["WWW-Authenticate"] = challenge
    response["Cache-Control"] = "no-store"
    return response


def bearer_token(request: HttpRequest) -> str:
    """The token from `Authorization: Bearer ...`, or from `accessRequestToken` (VoipNow's
    query parameter), with or without the word Bearer."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    value = request.GET.get("accessRequestToken", "").strip()
    if value[:7].lower() == "bearer ":
        value = value[7:].strip()
    return value


@login_not_required
@require_safe
def me(request: HttpRequest) -> HttpResponse:
    """The account a UnifiedAPI token acts for (one query: token, App and account)."""
    value = bearer_token(request)
    if not value:
        if "access_token" in request.GET:
            return api_error(
                "invalid_request",
                "Send the token in the Authorization header or in accessRequestToken, not in access_token.",
            )
        return api_error("missing_token", "No access token: send Authorization: Bearer <token>.")
    found = token_for_me(value)
    if found is None:
        return api_error("invalid_token", "The access token is invalid or has been revoked.")
    expires, client_id, app_name, api, enabled, user, owner, accounts_active = found
    if expires <= timezone.now():
        return api_error("expired_token", "The access token has expired.")
    if not enabled:
        return api_error("app_disabled", "The App this access token was issued to is disabled.")
    if not accounts_active:
        return api_error(
            "account_disabled",
            "The account this access token acts for, or the owner of its App, is deactivated.",
        )
    if api != Api.UNIFIEDAPI:
        return api_error("wrong_api", "This token belongs to a SystemAPI App; UnifiedAPI refuses it.")
    body = {
        # A client_credentials token acts for the App's owner.
        **(user if user["id"] is not None else owner),
        "app": {"client_id": client_id, "name": app_name, "api": api},
        "expires_in": max(0, int((expires - timezone.now()).total_seconds())),
    }
    response = JsonResponse(body)
    response["Cache-Control"] = "no-store"
    return response


# --- CSRF failures (CSRF_FAILURE_VIEW) ------------------------------------------------------


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A consent page sent twice, or after signing in on another tab, fails the CSRF check:
    on the OAuth pages say so plainly; elsewhere Django's own page."""
    if request.path.startswith("/oauth/"):
        context = {
            "title": "This page has expired",
            "errors": [
                "The form was sent twice, or after you signed in or out elsewhere. "
                "Go back to the App and start again."
            ],
        }
        response = render(request, "oauth/error.html", context, status=403)
        response["Cache-Control"] = "no-store"
        return response
    return django_csrf.csrf_failure(request, reason)
