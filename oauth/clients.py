"""The App a request authenticates as (RFC 6749 2.3.1): its key and secret from HTTP Basic or
the body, the App read with its live secrets in one statement, and the secret that matched.
The token endpoint's own client_credentials path (oauth.views.client_credentials) and the
validator django-oauth-toolkit calls (oauth.validator.Validator.authenticate_client) both
authenticate through here, so a client is checked the same way whichever path it takes."""

from __future__ import annotations

import base64
import binascii
import functools
from urllib.parse import unquote, unquote_plus

from django.db import connection
from django.db.models import FilteredRelation, Q

from apps_registry.crypto import is_credential
from apps_registry.migrations._refusals import ACCOUNT_DISABLED, refusal
from apps_registry.models import App, AppSecret
from portal.speedups.prepared import TEXT_MARK, Prepared

# The secret's columns read after the App's own, as the App's `live` relation names them.
SECRET_COLUMNS = ("id", "encrypted_secret", "created", "last_used")


def basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    """The key and secret of an `Authorization: Basic ...` header, each form-decoded (RFC 6749
    2.3.1), as django-oauth-toolkit reads them (the scheme spelled "Basic"); None for any
    other header, or one that does not decode."""
    scheme, _, value = (authorization or "").partition(" ")
    if scheme != "Basic" or not value:
        return None
    try:
        decoded = base64.b64decode(value).decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    client_id, colon, secret = decoded.partition(":")
    if not colon:
        return None
    return unquote_plus(client_id), unquote_plus(secret)


def received_credential(value: str | None) -> str | None:
    """A client_id or client_secret as received, percent-decoded when it holds an escape that
    decodes to a key or secret (design §3: they never contain "%", so an escape in one is
    unambiguous). 4PSA's PHP Apps urlencode() the key and secret and post them as multipart,
    which nothing decodes, so "~" arrives as "%7E". Anything that does not decode to a
    credential is left as received, to fail as any wrong key or secret does. HTTP Basic needs
    none of this: its credentials are form-decoded (basic_credentials)."""
    if not value or "%" not in value:
        return value
    decoded = unquote(value, errors="replace")
    return decoded if is_credential(decoded) else value


def presented_credentials(authorization: str | None, client_id, client_secret) -> list[tuple[str, str]]:
    """The key and secret pairs a request presents, in the order they are tried: HTTP Basic
    (preferred, RFC 6749 2.3.1), then the body's client_id and client_secret."""
    presented = []
    if basic := basic_credentials(authorization):
        presented.append(basic)
    if isinstance(client_id, str) and client_id:
        secret = client_secret if isinstance(client_secret, str) else ""
        presented.append((received_credential(client_id), received_credential(secret) or ""))
    return presented


@functools.cache
def _app_with_secrets(vendor: str) -> Prepared:
    """The App and its live secrets, by key: a LEFT JOIN (a row per live secret, at most two;
    one with NULLs for an App without one), compiled once per process and database
    (portal.speedups.prepared): building the FilteredRelation on every request cost more than
    running it (make bench, P1)."""
    names = [field.attname for field in App._meta.concrete_fields]
    queryset = (
        App.objects.annotate(live=FilteredRelation("secrets", condition=Q(secrets__removed__isnull=True)))
        .filter(client_id=TEXT_MARK)
        .values_list(*names, *(f"live__{name}" for name in SECRET_COLUMNS))
        .order_by("live__created", "live__id")
    )
    return Prepared.build(queryset)


def load_app_with_secrets(client_id: str) -> App | None:
    """The App with this key and its live secrets, in ONE statement: the token endpoint pays
    for rotation no query of its own. No key holds a NUL, and PostgreSQL refuses one in a
    query (a 500): such a key is simply unknown."""
    if "\x00" in client_id:
        return None
    rows = _app_with_secrets(connection.vendor).rows(client_id)
    if not rows:
        return None
    names = [field.attname for field in App._meta.concrete_fields]
    app = App.from_db(connection.alias, names, rows[0][: len(names)])
    app.live_secrets = [
        AppSecret(pk=pk, app_id=app.pk, encrypted_secret=ciphertext, created=created, last_used=used)
        for pk, ciphertext, created, used in (row[len(names) :] for row in rows)
        if pk is not None
    ]
    return app


DEACTIVATED_GRANT = "The account this grant acts for is deactivated."


def refused_token(error: Exception, grant_type: str | None) -> tuple[str, str | None] | None:
    """The OAuth error (and its description) for a token the database refused to save
    (apps_registry/migrations/_refusals.py), or None for any other error. The secret the
    client proved it holds was removed, or its App disabled or removed, since it authenticated
    (design §3: no token minted with a removed secret is alive), or the App's owner is
    deactivated: the client is, as if disabled (a client_credentials token acts for the owner:
    the same). The account a grant acts for is deactivated: the grant is."""
    name = refusal(error)
    if name is None:
        return None
    if name == ACCOUNT_DISABLED and grant_type != "client_credentials":
        return "invalid_grant", DEACTIVATED_GRANT
    return "invalid_client", None
