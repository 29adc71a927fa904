"""The App a request authenticates as (RFC 6749 2.3.1): its key and secret from HTTP Basic or
the body, the App read with its live secrets in one statement, and the secret that matched.
The token endpoint's own client_credentials path (oauth.views.client_credentials) and the
validator django-oauth-toolkit calls (oauth.validator.Validator.authenticate_client) both
authenticate through here, so a client is checked the same way whichever path it takes."""

from __future__ import annotations

import base64
import binascii
import functools
from typing import NamedTuple
from urllib.parse import unquote, unquote_plus

from django.db import connection
from django.db.models import FilteredRelation, Q

from apps_registry.crypto import is_credential
from apps_registry.migrations._refusals import ACCESS_REVOKED, ACCOUNT_DISABLED, refusal
from apps_registry.models import App, AppSecret
from apps_registry.services import record_secret_use
from portal.speedups.prepared import TEXT_MARK, Prepared
from portal.speedups.statements import Read, read

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


# The Administrator at the top of an account's tree is the last of these that is set (the
# hierarchy is four levels deep at most: Administrator, Service Provider, Organization, User).
ANCESTORS = ("parent_id", "parent__parent_id", "parent__parent__parent_id")
# The App's owner's standing, read with the App where asked (introspection): whether it is
# active, and its ancestors.
STANDING_COLUMNS = ("owner__is_active", *(f"owner__{name}" for name in ANCESTORS))
# The App's own columns read by the two callers that use few of them, the rest left deferred:
# a field read that is not among them costs a query of its own, never a wrong value, and the
# tests that count their queries fail (tests/oauth/test_resource_servers.py,
# test_token_costs.py). Introspection: is_usable and the secrets' App (authenticate()), whose
# tokens it may read (introspection()). The token endpoint's own client_credentials path
# (oauth/views/client_credentials.py): is_usable, allows_grant_type and the token it saves.
# Everything else (django-oauth-toolkit's validator) reads the whole App.
INTROSPECTING_FIELDS = ("id", "owner_id", "enabled", "resource_server")
ISSUING_FIELDS = ("id", "owner_id", "api", "trusted", "enabled", "unused_expires")


@functools.cache
def app_fields(fields: tuple[str, ...] | None) -> list[str]:
    """The App's columns of `fields` (None: all of them), in the model's order, whichever
    order they are given in: App.from_db() takes a subset's values in that order."""
    return [field.attname for field in App._meta.concrete_fields if fields is None or field.attname in fields]


def tree_root(ids) -> int:
    """The top of a tree from an account's id and its ancestors' (None above the top)."""
    return [pk for pk in ids if pk is not None][-1]


class Standing(NamedTuple):
    active: bool
    root_id: int  # the Administrator at the top of its tree


@functools.cache
def _app_with_secrets(vendor: str, fields: tuple[str, ...] | None, standing: bool) -> Prepared:
    """The App (its columns of `fields`: app_fields) and its live secrets, by key: a LEFT JOIN
    (a row per live secret, at most two; one with NULLs for an App without one), and with
    `standing` its owner's (STANDING_COLUMNS), compiled once per process and database
    (portal.speedups.prepared): building the FilteredRelation on every request cost more
    than running it (make bench, P1)."""
    names = app_fields(fields)
    queryset = (
        App.objects.annotate(live=FilteredRelation("secrets", condition=Q(secrets__removed__isnull=True)))
        .filter(client_id=TEXT_MARK)
        .values_list(
            *names, *(f"live__{name}" for name in SECRET_COLUMNS), *(STANDING_COLUMNS if standing else ())
        )
        .order_by()  # the secrets are put in order in Python (_app_from_rows)
    )
    return Prepared.build(queryset)


def may_be_key(client_id: str) -> bool:
    """Whether a received key is worth looking up: no key holds a NUL, and PostgreSQL refuses
    one in a query (a 500), so such a key is simply unknown."""
    return "\x00" not in client_id


def load_app_with_secrets(
    client_id: str, *, fields: tuple[str, ...] | None = None, standing: bool = False
) -> App | None:
    """The App with this key and its live secrets, in ONE statement: the token endpoint pays
    for rotation no query of its own. Of the App's own columns those of `fields` (None: all),
    the others deferred; with `standing` (introspection), its owner's as `app.standing` in the
    same statement. A key that cannot be one (may_be_key) is unknown."""
    if not may_be_key(client_id):
        return None
    return read(app_lookup(client_id, fields=fields, standing=standing))


def app_lookup(client_id: str, *, fields: tuple[str, ...] | None = None, standing: bool = False) -> Read:
    """load_app_with_secrets' statement, to read with others (read_together): its answer is
    the App or None. Only for a key that may_be_key."""
    lookup = _app_with_secrets(connection.vendor, fields, standing).read(client_id)
    return lookup.then(functools.partial(_app_from_rows, names=app_fields(fields), standing=standing))


def _app_from_rows(rows: list[tuple], *, names: list[str], standing: bool) -> App | None:
    if not rows:
        return None
    secrets_end = len(names) + len(SECRET_COLUMNS)
    app = App.from_db(connection.alias, names, rows[0][: len(names)])
    # Oldest first (created, then id), as App.live_secrets has them, whatever order the rows
    # came in (read together with other statements, in none: portal.speedups.statements).
    secrets = sorted(
        (row[len(names) : secrets_end] for row in rows if row[len(names)] is not None),
        key=lambda secret: (secret[2], secret[0]),
    )
    app.live_secrets = [
        AppSecret(pk=pk, app_id=app.pk, encrypted_secret=ciphertext, created=created, last_used=used)
        for pk, ciphertext, created, used in secrets
    ]
    if standing:
        active, *ancestors = rows[0][secrets_end:]
        app.standing = Standing(active, tree_root((app.owner_id, *ancestors)))
    return app


def request_credentials(request) -> list[tuple[str, str]]:
    """presented_credentials() of a Django request: its Authorization header, then its body."""
    return presented_credentials(
        request.headers.get("Authorization"), request.POST.get("client_id"), request.POST.get("client_secret")
    )


def first_key(presented: list[tuple[str, str]]) -> str | None:
    """The key authenticate() looks up first among `presented` (None: none presented, or one
    that cannot be a key: may_be_key), for a caller that reads its App with other statements
    (app_lookup, read_together)."""
    return presented[0][0] if presented and may_be_key(presented[0][0]) else None


def authenticate(
    request,
    *,
    fields: tuple[str, ...] | None = None,
    standing: bool = False,
    presented: list | None = None,
    known: dict | None = None,
) -> tuple[App, AppSecret] | None:
    """The enabled App a Django request authenticates as (HTTP Basic, then the body), and the
    live secret it proved it holds, its use recorded (at most once a minute); None when no
    pair presented matches. Each key is looked up once, whichever way it came, the App read
    with its columns of `fields` (None: all) and with `standing` as load_app_with_secrets
    reads it. `presented` is request_credentials(request) when the caller read it already;
    `known` holds the Apps (or None) already read by key, the same way."""
    tried = set()
    if presented is None:
        presented = request_credentials(request)
    for client_id, secret in presented:
        if client_id in tried:
            continue
        tried.add(client_id)
        if known and client_id in known:
            app = known[client_id]
        else:
            app = load_app_with_secrets(client_id, fields=fields, standing=standing)
        if app is None or not app.is_usable(request):
            continue
        if (matched := app.matching_secret(secret)) is not None:
            record_secret_use(matched)
            return app, matched
    return None


DEACTIVATED_GRANT = "The account this grant acts for is deactivated."
REVOKED = "The grant or token was revoked."


def refused_token(error: Exception, grant_type: str | None) -> tuple[str, str | None] | None:
    """The OAuth error (and its description) for a token the database refused to save
    (apps_registry/migrations/_refusals.py), or None for any other error. The secret the
    client proved it holds was removed, or its App disabled or removed, since it authenticated
    (design §3: no token minted with a removed secret is alive), or the App's owner is
    deactivated: the client is, as if disabled (a client_credentials token acts for the owner:
    the same). The account a grant acts for is deactivated: the grant is. The account's
    grant to the App was revoked (Revoke access) while its refresh token was being saved: the
    grant is."""
    name = refusal(error)
    if name is None:
        return None
    if name == ACCESS_REVOKED:
        return "invalid_grant", REVOKED
    if name == ACCOUNT_DISABLED and grant_type != "client_credentials":
        return "invalid_grant", DEACTIVATED_GRANT
    return "invalid_client", None
