"""What resource servers and Apps call with a token: /oauth/introspect (RFC 7662) and the "who
am I" of each API the portal serves (apps_registry/apis.py: /uapi/@me and its /unifiedapi/@me
alias)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe

from apps_registry.apis import api_kind, api_served_at
from portal.http import sensitive
from portal.speedups.statements import read_together

from ..clients import INTROSPECTING_FIELDS, app_lookup, authenticate, first_key, request_credentials
from ..discovery import own_resources, resource_metadata_url
from ..issuer import configured_issuer
from ..selectors import UNREAD, introspection, token_for_me, token_lookup
from .token import unreadable_body

# --- /oauth/introspect (RFC 7662) --------------------------------------------------------


@csrf_exempt
@login_not_required
@require_POST
def introspect(request: HttpRequest) -> HttpResponse:
    """RFC 7662. The caller authenticates as an App (of an active owner). An App may introspect
    its own tokens; a resource server those of the Apps within its owner's Administrator's
    tree (selectors.introspection). Anything else is simply not active."""
    if refused := unreadable_body(request):
        return refused
    value, hint = request.POST.get("token"), request.POST.get("token_type_hint")
    presented, known, first_row = request_credentials(request), {}, UNREAD
    if value and (client_id := first_key(presented)):
        # The caller's App and the token, in one statement (read_together); nothing of the
        # token is used unless the caller authenticates.
        known[client_id], first_row = read_together(
            app_lookup(client_id, fields=INTROSPECTING_FIELDS, standing=True), token_lookup(value, hint)
        )
    found = authenticate(
        request, fields=INTROSPECTING_FIELDS, standing=True, presented=presented, known=known
    )
    client, standing = (found[0], found[0].standing) if found else (None, None)
    if standing is None or not standing.active:
        # Unknown, wrong secret, disabled, or an App whose owner is deactivated (refused as a
        # disabled one is).
        response = JsonResponse({"error": "invalid_client"}, status=401)
        response["WWW-Authenticate"] = 'Basic realm="oauth"'
        return sensitive(response)
    if not value:
        body = {"error": "invalid_request", "error_description": "The token parameter is missing."}
        return sensitive(JsonResponse(body, status=400))

    root = standing.root_id
    answer = introspection(client, value, caller_root_id=root, token_type_hint=hint, first_row=first_row)
    return sensitive(JsonResponse(answer))


# --- /uapi/@me and /unifiedapi/@me -------------------------------------------------------


def api_error(request: HttpRequest, code: str, message: str, status: int = 401) -> JsonResponse:
    """VoipNow's error shape, with RFC 6750 §3's challenge; it names the resource's metadata
    (RFC 9728 §5.1), where MCP clients start discovery, when an issuer is configured."""
    response = JsonResponse({"error": {"code": code, "message": message}}, status=status)
    challenge = f'Bearer realm="{api_served_at(request.path_info).value}"'
    if code != "missing_token":
        challenge += ', error="invalid_token"'
    if issuer := configured_issuer():
        challenge += f', resource_metadata="{resource_metadata_url(issuer, _segment(request))}"'
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


def _segment(request: HttpRequest) -> str:
    """The resource a request to /uapi/... or /unifiedapi/... addresses ("uapi", "unifiedapi")."""
    return request.path.split("/")[1]


@login_not_required
@require_safe
def me(request: HttpRequest) -> HttpResponse:
    """The account a token of the API served at this path acts for (UnifiedAPI's, at /uapi/@me
    and /unifiedapi/@me: apps_registry/apis.py), in one query: token, App and account."""
    served = api_served_at(request.path_info)
    value = bearer_token(request)
    if not value:
        if "access_token" in request.GET:
            return api_error(
                request,
                "invalid_request",
                "Send the token in the Authorization header or in accessRequestToken, not in access_token.",
            )
        return api_error(request, "missing_token", "No access token: send Authorization: Bearer <token>.")
    found = token_for_me(value)
    if found is None:
        return api_error(request, "invalid_token", "The access token is invalid or has been revoked.")
    expires, client_id, app_name, api, enabled, user, owner, accounts_active, audience = found
    if expires <= timezone.now():
        return api_error(request, "expired_token", "The access token has expired.")
    if not enabled:
        return api_error(request, "app_disabled", "The App this access token was issued to is disabled.")
    if not accounts_active:
        return api_error(
            request,
            "account_disabled",
            "The account this access token acts for, or the owner of its App, is deactivated.",
        )
    if audience and not set(audience) & set(own_resources(served.value)):
        # RFC 8707: bound to another resource (SystemAPI, or a server such as an MCP server,
        # which must not pass its tokens on); either UnifiedAPI identifier is good here.
        return api_error(request, "invalid_token", "This access token was issued for another resource.")
    if api != served.value:
        message = f"This token belongs to a {api_kind(api).label} App; {served.label} refuses it."
        return api_error(request, "wrong_api", message)
    body = {
        # A client_credentials token acts for the App's owner.
        **(user if user["id"] is not None else owner),
        "app": {"client_id": client_id, "name": app_name, "api": api},
        "expires_in": max(0, int((expires - timezone.now()).total_seconds())),
    }
    response = JsonResponse(body)
    response["Cache-Control"] = "no-store"
    return response
