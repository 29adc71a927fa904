"""Reads of the OAuth endpoints: the token behind /uapi/@me, and an introspection answer."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import NamedTuple

from django.db import connection
from django.utils import timezone

from accounts.models import Account
from apps_registry.models import AccessToken, App, RefreshToken
from portal.speedups.prepared import TEXT_MARK, Prepared
from portal.speedups.statements import Read, read

from .clients import ANCESTORS, tree_root
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
def _me_query(vendor: str) -> Prepared:
    """/uapi/@me's one query (token, App, account and the App's owner, by the token's
    checksum; a token whose secret was removed is not found: the manager), compiled once per
    process and database (portal.speedups.prepared): compiling it on every request cost more than
    running it (make bench, P3)."""
    return Prepared.build(AccessToken.objects.filter(token_checksum=TEXT_MARK).values_list(*ME_COLUMNS)[:1])


def token_for_me(value: str) -> MeToken | None:
    """The access token whose value is `value`, whatever its state (one query), or None."""
    row = _me_query(connection.vendor).row(checksum(value))
    if row is None:
        return None
    accounts_at = 1 + len(ME_APP_COLUMNS)
    owner_at = accounts_at + len(ACCOUNT_FIELDS)
    active_at = owner_at + len(ACCOUNT_FIELDS)
    user_active, owner_active, audience = row[active_at:]
    return MeToken(
        *row[:accounts_at],
        user=dict(zip(ACCOUNT_FIELDS, row[accounts_at:owner_at], strict=True)),
        owner=dict(zip(ACCOUNT_FIELDS, row[owner_at:active_at], strict=True)),
        # A token without a user has None for its user's column.
        accounts_active=(user_active is None or user_active) and owner_active,
        audience=audience or [],
    )


INACTIVE = {"active": False}
# What introspection reads with a token, in one query: its App and the App's owner (with its
# ancestors, for whose tree it is in) and the account it acts for.
_TOKEN_COLUMNS = (
    "created",
    "resource",
    "application_id",
    "application__client_id",
    "application__api",
    "application__enabled",
    "application__owner__is_active",
    *(f"application__owner__{name}" for name in ACCOUNT_FIELDS),
    *(f"application__owner__{name}" for name in ANCESTORS),
    "user__is_active",
    *(f"user__{name}" for name in ACCOUNT_FIELDS),
)


@functools.cache
def _token_query(vendor: str, model: type) -> Prepared:
    """The token by checksum: its scope (a refresh token's is its App's API), _TOKEN_COLUMNS,
    and then its expiry (an access token) or when it was revoked (a refresh token); a token of
    a removed secret is not found (the manager)."""
    scope, last = ("scope", "expires") if model is AccessToken else ("application__api", "revoked")
    columns = (scope, *_TOKEN_COLUMNS, last)
    return Prepared.build(model.objects.filter(token_checksum=TEXT_MARK).values_list(*columns)[:1])


def _kinds(token_type_hint: str | None) -> tuple[type, type]:
    """The models a token is looked for in, the hinted one first (an access token's without a
    hint)."""
    if token_type_hint == "refresh_token":  # noqa: S105 - a token type, not a password
        return RefreshToken, AccessToken
    return AccessToken, RefreshToken


def token_lookup(value: str, token_type_hint: str | None = None) -> Read:
    """introspection()'s first statement, to read with others (read_together): the token of
    the hinted kind (its row, or None); pass its answer as introspection's `first_row`."""
    return _token_query(connection.vendor, _kinds(token_type_hint)[0]).read(checksum(value), first=True)


UNREAD = object()  # introspection's first_row when the caller did not read it


def introspection(
    client: App, value: str, *, caller_root_id: int, token_type_hint: str | None = None, first_row=UNREAD
) -> dict:
    """RFC 7662's answer about the token `value` to the authenticated App `client` (whose
    owner the view has checked is active, and is in `caller_root_id`'s tree). An App
    introspects its own tokens. A resource server (an App an Administrator marked so) also
    introspects the tokens of every App whose owner lies in the same Administrator's tree as
    its own owner: the tree of the only Administrator who could mark it. Being trusted is not
    enough (that is for client_credentials). Anything else, like an unknown, expired or
    revoked token, one of a disabled App, or one whose account or App owner is deactivated,
    is simply not active. The answer adds `api` and `account` to RFC 7662's fields. One query
    (two when the token is of the kind not hinted), prepared once per process; `first_row`
    is the first one's answer when the caller read it already (token_lookup)."""
    model, other = _kinds(token_type_hint)
    row = read(token_lookup(value, token_type_hint)) if first_row is UNREAD else first_row
    if row is None:
        model, row = other, _token_query(connection.vendor, other).row(checksum(value))
    if row is None:
        return INACTIVE
    scope, created, resource, app_id, client_id, api, enabled, owner_active = row[:8]
    owner = dict(zip(ACCOUNT_FIELDS, row[8 : 8 + len(ACCOUNT_FIELDS)], strict=True))
    at = 8 + len(ACCOUNT_FIELDS)
    owner_root = tree_root((owner["id"], *row[at : at + len(ANCESTORS)]))
    at += len(ANCESTORS)
    user_active = row[at]
    user = dict(zip(ACCOUNT_FIELDS, row[at + 1 : at + 1 + len(ACCOUNT_FIELDS)], strict=True))
    last = row[-1]
    mine = app_id == client.pk
    if not mine and not (client.resource_server and owner_root == caller_root_id):
        return INACTIVE
    if not owner_active or (user["id"] is not None and not user_active):
        return INACTIVE
    if model is AccessToken:
        active = enabled and last > timezone.now()
        extra = {"token_type": "Bearer", "exp": int(last.timestamp())}
    else:
        active = enabled and last is None
        extra = {}  # RFC 7662 2.2: token_type is an access token's type (Bearer); none here
    if not active:
        return INACTIVE
    account = user if user["id"] is not None else owner
    return {
        "active": True,
        "scope": scope,
        "client_id": client_id,
        "username": account["username"],
        "sub": str(account["id"]),
        "iat": int(created.timestamp()),
        **extra,
        # RFC 7662 §2.2 / RFC 8707: the resources the token is bound to, when it is bound.
        **({"aud": list(resource)} if resource else {}),
        "api": api,
        "account": account,
    }
