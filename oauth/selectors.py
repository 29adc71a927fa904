"""Reads of the OAuth endpoints: the token behind /uapi/@me, and an introspection answer."""

from __future__ import annotations

import functools
import json
from datetime import UTC, datetime
from typing import NamedTuple

from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.models import Account
from apps_registry.models import AccessToken, App, RefreshToken

from .validator import checksum

# What introspection and /uapi/@me say of an account, in this order.
ACCOUNT_FIELDS = ("id", "username", "kind", "name", "email", "phone", "parent_id")
ME_APP_COLUMNS = ("client_id", "name", "api", "enabled")
ME_COLUMNS = (
    "expires",
    *(f"application__{name}" for name in ME_APP_COLUMNS),
    *(f"user__{name}" for name in ACCOUNT_FIELDS),
    *(f"application__owner__{name}" for name in ACCOUNT_FIELDS),
    # Whichever path deactivated them, read with the token: no second query.
    "user__is_active",
    "application__owner__is_active",
    # RFC 8707: the resources the token is bound to (its audience; empty: unrestricted).
    "resource",
)


def account_json(account: Account) -> dict:
    return {name: getattr(account, name) for name in ACCOUNT_FIELDS}


class MeToken(NamedTuple):
    """An access token as /uapi/@me needs it: its App's columns, and the account it was issued
    for (`user`, all None for a token without one) and the App's owner, as dicts of
    ACCOUNT_FIELDS; `accounts_active` is False when either of them is deactivated; `audience`
    is the resources the token is bound to (RFC 8707), empty for a token bound to none."""

    expires: datetime
    client_id: str
    app_name: str
    api: str
    enabled: bool
    user: dict
    owner: dict
    accounts_active: bool
    audience: list[str]


@functools.cache
def _me_sql(vendor: str) -> tuple[str, tuple, int]:
    """/uapi/@me's one query (token, App, account and the App's owner, by the token's
    checksum; a token whose secret was removed is not found: the manager), built by the ORM
    once per process and database: building it on every request cost more than running it
    (make bench, P3). Returns the SQL, its parameters and where the checksum goes in them."""
    queryset = AccessToken.objects.filter(token_checksum="").values_list(*ME_COLUMNS)[:1]
    sql, params = queryset.query.sql_with_params()
    assert params.count("") == 1, params  # the checksum; the others are constants
    return sql, params, params.index("")


def token_for_me(value: str) -> MeToken | None:
    """The access token whose value is `value`, whatever its state (one query), or None."""
    sql, params, at = _me_sql(connection.vendor)
    params = [*params[:at], checksum(value), *params[at + 1 :]]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    accounts_at = 1 + len(ME_APP_COLUMNS)
    owner_at = accounts_at + len(ACCOUNT_FIELDS)
    active_at = owner_at + len(ACCOUNT_FIELDS)
    user_active, owner_active, audience = row[active_at:]
    # PostgreSQL hands the JSON column back decoded, SQLite as its text.
    if isinstance(audience, str):
        audience = json.loads(audience)
    expires = row[0]
    # SQLite hands the datetime back without its offset (stored in UTC), or as text.
    if isinstance(expires, str):
        expires = parse_datetime(expires)
    if timezone.is_naive(expires):
        expires = expires.replace(tzinfo=UTC)
    return MeToken(
        expires,
        *row[1:accounts_at],
        user=dict(zip(ACCOUNT_FIELDS, row[accounts_at:owner_at], strict=True)),
        owner=dict(zip(ACCOUNT_FIELDS, row[owner_at:active_at], strict=True)),
        # SQLite answers 0/1; a token without a user has None for its user's column.
        accounts_active=(user_active is None or bool(user_active)) and bool(owner_active),
        audience=audience or [],
    )


INACTIVE = {"active": False}


def _root_administrator_id(account: Account) -> int:
    """The pk of the Administrator at the top of the account's tree (at most three hops; the
    hops already loaded by select_related cost no query)."""
    while account.parent_id is not None:
        account = account.parent
    return account.pk


def may_introspect(client: App, app: App) -> bool:
    """An App introspects its own tokens. A resource server (an App an Administrator marked
    so) also introspects the tokens of every App whose owner lies in the same Administrator's
    tree as its own owner: the tree of the only Administrator who could mark it. Being
    trusted is not enough (that is for client_credentials)."""
    if app.pk == client.pk:
        return True
    if not client.resource_server:
        return False
    caller_owner = Account.objects.select_related("parent__parent__parent").get(pk=client.owner_id)
    return _root_administrator_id(caller_owner) == _root_administrator_id(app.owner)


def introspection(client: App, value: str, *, token_type_hint: str | None = None) -> dict:
    """RFC 7662's answer about the token `value` to the authenticated App `client` (whose
    owner the view has checked is active): see `may_introspect` for whose tokens it may ask
    about; anything else, like an unknown, expired or revoked token, one of a disabled App, or
    one whose account or App owner is deactivated, is simply not active. The answer adds `api`
    and `account` to RFC 7662's fields."""
    digest = checksum(value)
    models = [AccessToken, RefreshToken]
    if token_type_hint == "refresh_token":  # noqa: S105 - a token type, not a password
        models.reverse()
    found = None
    for model in models:
        found = (
            model.objects.select_related("application__owner__parent__parent__parent", "user")
            .filter(token_checksum=digest)
            .first()
        )
        if found is not None:
            break
    if found is None or not may_introspect(client, found.application):
        return INACTIVE
    if not found.application.owner.is_active or (found.user is not None and not found.user.is_active):
        return INACTIVE
    app, account = found.application, found.user or found.application.owner
    if isinstance(found, AccessToken):
        active = not found.is_expired() and app.enabled
        extra = {"token_type": "Bearer", "exp": int(found.expires.timestamp())}
    else:
        active = found.revoked is None and app.enabled
        extra = {"token_type": "refresh_token"}
    if not active:
        return INACTIVE
    return {
        "active": True,
        "scope": found.scope if isinstance(found, AccessToken) else app.api,
        "client_id": app.client_id,
        "username": account.username,
        "sub": str(account.pk),
        "iat": int(found.created.timestamp()),
        **extra,
        # RFC 7662 §2.2 / RFC 8707: the resources the token is bound to, when it is bound.
        **({"aud": list(found.resource)} if found.resource else {}),
        "api": app.api,
        "account": account_json(account),
    }
