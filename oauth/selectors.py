"""Reads of the OAuth endpoints: the token behind /uapi/@me, and an introspection answer."""

from __future__ import annotations

import functools
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
)


def account_json(account: Account) -> dict:
    return {name: getattr(account, name) for name in ACCOUNT_FIELDS}


class MeToken(NamedTuple):
    """An access token as /uapi/@me needs it: its App's columns, and the account it was issued
    for (`user`, all None for a client_credentials token) and the App's owner, as dicts of
    ACCOUNT_FIELDS."""

    expires: datetime
    client_id: str
    app_name: str
    api: str
    enabled: bool
    user: dict
    owner: dict


@functools.cache
def _me_sql(vendor: str) -> str:
    """/uapi/@me's one query (token, App, account and the App's owner, by the token's
    checksum), built by the ORM once per process and database: building it on every request
    cost more than running it (make bench, P3)."""
    queryset = AccessToken.objects.filter(token_checksum="").values_list(*ME_COLUMNS)[:1]
    sql, params = queryset.query.sql_with_params()
    assert params == ("",), params  # the checksum is the one parameter
    return sql


def token_for_me(value: str) -> MeToken | None:
    """The access token whose value is `value`, whatever its state (one query), or None."""
    with connection.cursor() as cursor:
        cursor.execute(_me_sql(connection.vendor), [checksum(value)])
        row = cursor.fetchone()
    if row is None:
        return None
    accounts_at = 1 + len(ME_APP_COLUMNS)
    owner_at = accounts_at + len(ACCOUNT_FIELDS)
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
        owner=dict(zip(ACCOUNT_FIELDS, row[owner_at:], strict=True)),
    )


INACTIVE = {"active": False}


def introspection(client: App, value: str, *, token_type_hint: str | None = None) -> dict:
    """RFC 7662's answer about the token `value` to the authenticated App `client`: an App may
    introspect its own tokens, a trusted App (a resource server) any token; anything else,
    like an unknown, expired or revoked token or one of a disabled App, is simply not active.
    The answer adds `api` and `account` to RFC 7662's fields."""
    digest = checksum(value)
    models = [AccessToken, RefreshToken]
    if token_type_hint == "refresh_token":  # noqa: S105 - a token type, not a password
        models.reverse()
    found = None
    for model in models:
        found = model.objects.select_related("application", "user").filter(token_checksum=digest).first()
        if found is not None:
            break
    if found is None or (found.application_id != client.pk and not client.trusted):
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
        "api": app.api,
        "account": account_json(account),
    }
