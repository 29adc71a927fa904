"""/oauth/register (RFC 7591) and its client configuration endpoint /oauth/register/<client_id>
(RFC 7592), design §6.1: JSON in, JSON out; the views parse and answer, oauth.services decides."""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from portal.audit import AuditSource, Origin
from portal.http import sensitive
from portal.middleware import client_ip

from ..issuer import configured_issuer
from ..registration import INVALID_CLIENT_METADATA, MAX_BODY_BYTES, parse_client_metadata
from ..services import (
    INVALID_TOKEN,
    Registered,
    RegistrationError,
    registration_check,
    registration_create,
    registration_delete,
    registration_read,
    registration_update,
)

JSON_TYPE = "application/json"


def _error(error: RegistrationError) -> HttpResponse:
    """RFC 7591 3.2.2 (400), RFC 6750 3.1 (401, with its challenge), or a rate limit (429)."""
    response = sensitive(
        JsonResponse({"error": error.error, "error_description": error.description}, status=error.status)
    )
    if error.status == 401:
        response["WWW-Authenticate"] = f'Bearer error="{error.error}"'
    if error.status == 429:
        response["Retry-After"] = "3600"
    return response


def _bearer(request: HttpRequest) -> str | None:
    """The token of `Authorization: Bearer <token>`; None when there is no Authorization header.
    Another scheme, or an empty token, is a RegistrationError (401)."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise RegistrationError(INVALID_TOKEN, "Send the token as Authorization: Bearer <token>.", status=401)
    return token.strip()


def _json_body(request: HttpRequest) -> object:
    """The request's JSON document: application/json, at most MAX_BODY_BYTES, UTF-8."""
    if request.content_type != JSON_TYPE:
        raise RegistrationError(INVALID_CLIENT_METADATA, "The body must be application/json (RFC 7591 3.1).")
    try:
        length = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        length = 0
    if length > MAX_BODY_BYTES or len(request.body) > MAX_BODY_BYTES:
        raise RegistrationError(
            INVALID_CLIENT_METADATA, f"The body is too large (at most {MAX_BODY_BYTES} bytes).", status=413
        )
    try:
        return json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise RegistrationError(INVALID_CLIENT_METADATA, "The body is not valid JSON in UTF-8.") from None


def _public_url(request: HttpRequest, path: str) -> str:
    """An absolute URL on the portal's public address: the OAuth issuer the discovery documents
    name (OAUTH_ISSUER, default PORTAL_BASE_URL); unset, the request's scheme and host, which
    Django checked against ALLOWED_HOSTS."""
    base = configured_issuer()
    return f"{base}{path}" if base else request.build_absolute_uri(path)


def _information(request: HttpRequest, registered: Registered, status: int = 200) -> HttpResponse:
    """The client information response (RFC 7591 3.2.1, RFC 7592 3): never cached."""
    app = registered.app
    body = {
        "client_id": app.client_id,
        "client_id_issued_at": int(app.created.timestamp()),
        **registered.registration.metadata,
        "registration_access_token": registered.registration_access_token,
        "registration_client_uri": _public_url(
            request, reverse("oauth:register_client", args=[app.client_id])
        ),
    }
    if registered.client_secret is not None:
        body["client_secret"] = registered.client_secret
        body["client_secret_expires_at"] = 0  # it does not expire
    return sensitive(JsonResponse(body, status=status))


def _origin(request: HttpRequest) -> Origin:
    return Origin.from_request(request, AuditSource.REGISTRATION)


@csrf_exempt  # an API for programs, authenticated by its bearer tokens, never by a cookie
@login_not_required
@require_POST
def register_client(request: HttpRequest) -> HttpResponse:
    """RFC 7591 3.1: register a client. With `Authorization: Bearer <initial access token>`,
    to the token's account; without one, through open registration when the operator turned
    it on (public clients only)."""
    try:
        token = _bearer(request)
        metadata = parse_client_metadata(_json_body(request))
        registered = registration_create(
            metadata=metadata,
            initial_access_token=token,
            ip_address=client_ip(request),
            origin=_origin(request),
        )
    except RegistrationError as error:
        return _error(error)
    return _information(request, registered, status=201)


@csrf_exempt  # as register_client
@login_not_required
@require_http_methods(["GET", "PUT", "DELETE"])
def client_configuration(request: HttpRequest, client_id: str) -> HttpResponse:
    """RFC 7592 2: read (GET), replace (PUT) or remove (DELETE) a registered client, with the
    registration access token its registration returned."""
    try:
        token = _bearer(request)
        if token is None:
            raise RegistrationError(INVALID_TOKEN, "The registration access token is required.", status=401)
        if request.method == "GET":
            return _information(
                request,
                registration_read(
                    client_id=client_id, registration_access_token=token, origin=_origin(request)
                ),
            )
        if request.method == "DELETE":
            registration_delete(client_id=client_id, registration_access_token=token, origin=_origin(request))
            return sensitive(HttpResponse(status=204))
        registration_check(client_id=client_id, registration_access_token=token)
        body = _json_body(request)
        if isinstance(body, dict) and body.get("client_id") != client_id:
            # RFC 7592 2.2: the body names the client it replaces.
            raise RegistrationError(INVALID_CLIENT_METADATA, "client_id must be this client's client_id.")
        secret = body.get("client_secret") if isinstance(body, dict) else None
        if secret is not None and not isinstance(secret, str):
            raise RegistrationError(INVALID_CLIENT_METADATA, "client_secret must be a string.")
        registered = registration_update(
            client_id=client_id,
            registration_access_token=token,
            metadata=parse_client_metadata(body),
            client_secret=secret,
            origin=_origin(request),
        )
    except RegistrationError as error:
        return _error(error)
    return _information(request, registered)
