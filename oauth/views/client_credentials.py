"""/oauth/token.php's client_credentials grant, the portal's own path (design §6): the one
grant a program calls on every start, in two statements (the App with its live secrets, then
the token's INSERT, on its own: no transaction around one statement) and no oauthlib request
built around them. Everything else (and any request it does not recognise as plain) is
django-oauth-toolkit's, which answers the same: tests/oauth/test_token_client_credentials.py
runs every client_credentials case through both paths.

The same checks as the library path, in its order: the client authenticates (Basic, then the
body: oauth.clients, shared with the validator) as an enabled App with a live secret, a
trusted one (unauthorized_client otherwise: left to the library), and the database's triggers
refuse the token if the secret was removed, the App disabled or its owner deactivated
meanwhile (oauth.clients.refused_token)."""

from __future__ import annotations

import json
from datetime import timedelta

from django.db import IntegrityError, connection, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from oauth2_provider.models import set_token_value
from oauth2_provider.settings import oauth2_settings
from oauth2_provider.signals import app_authorized

from apps_registry.models import AccessToken, App
from portal.speedups.prepared import insert
from portal.speedups.tokens import token_value

from ..clients import ISSUING_FIELDS, authenticate, refused_token
from .token_errors import token_error

USER_AGENT_MAX = AccessToken._meta.get_field("user_agent").max_length
# What the library answers a token with (oauthlib's TokenEndpoint), header for header.
TOKEN_HEADERS = {"Content-Type": "application/json", "Cache-Control": "no-store", "Pragma": "no-cache"}


def plain(request: HttpRequest) -> bool:
    """A request this path answers: no query string (oauthlib refuses one on a POST), no
    parameter given twice (oauthlib refuses some), no RFC 8707 resource (the validator checks
    it), no client_id that is a metadata document's URL (oauth.client_metadata resolves it);
    and tokens as the portal makes them (its own ACCESS_TOKEN_GENERATOR or none, a lifetime in
    seconds), which is all this path makes."""
    if oauth2_settings.ACCESS_TOKEN_GENERATOR not in (None, token_value) or not isinstance(
        oauth2_settings.ACCESS_TOKEN_EXPIRE_SECONDS, int
    ):
        return False
    if request.GET or "resource" in request.POST:
        return False
    if any(len(values) > 1 for _name, values in request.POST.lists()):
        return False
    return "://" not in request.POST.get("client_id", "")


def client_credentials(request: HttpRequest, sender) -> HttpResponse | None:
    """The token, or the error, for a client_credentials request; None to leave it to
    django-oauth-toolkit (a request that is not plain, or an App that may not use the grant,
    whose unauthorized_client the library words)."""
    if not plain(request):
        return None
    found = authenticate(request, fields=ISSUING_FIELDS)
    if found is None:
        return token_error(request, {"error": "invalid_client"}, 401)
    app, secret = found
    if not app.allows_grant_type(App.GRANT_CLIENT_CREDENTIALS):
        return None
    expires_in = oauth2_settings.ACCESS_TOKEN_EXPIRE_SECONDS
    token = AccessToken(
        user_id=app.owner_id,  # a client_credentials token acts for the App's owner
        scope=app.api,  # every token's scope is its App's API (Validator.validate_scopes)
        expires=timezone.now() + timedelta(seconds=expires_in),
        application=app,
        resource=[],
        user_agent=request.headers.get("User-Agent", "")[:USER_AGENT_MAX],
        secret=secret,
    )
    value = token_value()
    set_token_value(token, value)
    try:
        if app.unused_expires is None and not connection.in_atomic_block:
            # In autocommit: on PostgreSQL no BEGIN/COMMIT around the one statement and no
            # wait for its WAL flush (portal.speedups.prepared.insert): a token lost to a
            # crash of PostgreSQL is refused at its first use, and its client asks again.
            # (SQLite's writers queue at a transaction's BEGIN: insert makes it one there.)
            insert(token, flush=False)
        else:
            # Inside a caller's transaction (tests, ATOMIC_REQUESTS), a savepoint, so a refused
            # INSERT leaves it usable; and an open-registered App in use never expires
            # (oauth.housekeeping): on its first token only, with the token.
            with transaction.atomic():
                insert(token)
                if app.unused_expires is not None:
                    App.objects.filter(pk=app.pk).update(unused_expires=None)
    except IntegrityError as error:
        if (refused := refused_token(error, "client_credentials")) is None:
            raise
        return token_error(request, {"error": refused[0]}, 401)
    body = {"access_token": value, "expires_in": expires_in, "token_type": "Bearer", "scope": app.api}
    app_authorized.send(sender=sender, request=request, token=token)
    response = HttpResponse(json.dumps(body), status=200)
    for name, header in TOKEN_HEADERS.items():
        response[name] = header
    return response
