"""Authorized Apps (design §8): the grants an account gave, and taking them back."""

from __future__ import annotations

from collections.abc import Collection
from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone

from accounts.models import Account
from accounts.permissions import can_manage_account
from portal.audit import Origin

from ..exceptions import AppNotAuthorized
from ..models import App, AppAuthorization, AuditAction
from ._rules import _audit
from .credentials import _delete_issued, _issued_credential_models

# The token endpoint refreshes an authorization's `last_used` at most this often.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def app_authorization_grant(*, app: App, account: Account) -> None:
    """Record that `account` let `app` act for it (authorize.php's Allow, register.php's Grant
    access: wherever an authorization code is issued for a user). One INSERT, which keeps the
    first grant's time when the App was authorized already (and two grants at once make one)."""
    AppAuthorization.objects.bulk_create(
        [AppAuthorization(app_id=app.pk, account_id=account.pk, api=app.api)], ignore_conflicts=True
    )


def app_authorization_used(*, app_id: int, account_id: int) -> None:
    """The token endpoint issued or refreshed a token of `app_id` for `account_id`: refresh the
    grant's `last_used`, at most once a LAST_USED_RESOLUTION (one guarded UPDATE, which writes
    nothing within the minute)."""
    now = timezone.now()
    AppAuthorization.objects.filter(
        Q(last_used__isnull=True) | Q(last_used__lt=now - LAST_USED_RESOLUTION),
        app_id=app_id,
        account_id=account_id,
    ).update(last_used=now)


def app_authorization_hold(*, app_id: int, account_id: int) -> bool:
    """The token endpoint is about to issue tokens on `account_id`'s grant to `app_id` (a code
    exchange or a refresh): whether the grant still stands. On PostgreSQL it takes share locks,
    until the token endpoint's transaction ends, on the App owner's and the account's rows, then
    the App's, then the grant's: the order in which the token insert's triggers take them
    (migrations 0005, 0009) and deactivation (the account), Regenerate (the App) and Revoke
    access (the grant) lock theirs, and before the token endpoint locks the old refresh token.
    So a revoke waits for the tokens in flight, which it then deletes, and nothing deadlocks
    (taking the grant before the accounts, a code exchange deadlocked with a deactivation).
    The database's own guard is the trigger of migration 0013; SQLite runs one writer at a
    time, so a plain read answers there."""
    grants = AppAuthorization.objects.filter(app_id=app_id, account_id=account_id)
    if connection.vendor != "postgresql":
        return grants.exists()
    quote = connection.ops.quote_name
    accounts, app_table = quote(Account._meta.db_table), quote(App._meta.db_table)
    grant_table = quote(AppAuthorization._meta.db_table)
    with connection.cursor() as cursor:
        # Tables named here, never input; the ids are parameters. FOR SHARE locks each row of
        # the result in the order of FROM.
        cursor.execute(
            f"SELECT 1 FROM {accounts} o, {accounts} u, {app_table} a, {grant_table} g "  # noqa: S608
            "WHERE a.id = %s AND o.id = a.owner_id AND u.id = %s AND g.app_id = a.id "
            "AND g.account_id = u.id FOR SHARE",
            [app_id, account_id],
        )
        return cursor.fetchone() is not None


def app_revoke_access(
    *, actor: Account, account: Account, apps: Collection[App], origin: Origin
) -> dict[int, dict]:
    """Take back the access `account` gave to each of `apps`: its grant, and every access
    token, refresh token and unused authorization code of the App that acts for the account,
    so the App must ask again. One audit row per App, in the App's trail. Refused whole
    (AppNotAuthorized, nothing written) when one of the Apps holds no grant for the account.
    Returns, per App id, how many of each credential went."""
    if not can_manage_account(actor, account):
        raise PermissionDenied("You cannot manage this account.")
    app_ids = sorted({app.pk for app in apps})
    if not app_ids:
        raise AppNotAuthorized()
    with transaction.atomic():
        grants = list(
            AppAuthorization.objects.select_for_update(of=("self",))
            .filter(account_id=account.pk, app_id__in=app_ids)
            .select_related("app")
            .only("pk", "app__id", "app__name", "app__client_id", "app__owner_id")
        )
        if len(grants) != len(app_ids):
            raise AppNotAuthorized()
        # How many of each the App loses, for its audit row: a grouped count per table, then
        # one DELETE per table for every App at once.
        counts: dict[int, dict] = {app_id: {} for app_id in app_ids}
        for label, model in _issued_credential_models():
            rows = (
                model.objects.filter(user_id=account.pk, application_id__in=app_ids)
                .order_by()
                .values_list("application_id")
                .annotate(n=Count("pk"))
            )
            found = dict(rows)
            for app_id in app_ids:
                counts[app_id][label] = found.get(app_id, 0)
        placeholders = ", ".join(["%s"] * len(app_ids))
        _delete_issued(f"user_id = %s AND application_id IN ({placeholders})", [account.pk, *app_ids])
        AppAuthorization.objects.filter(pk__in=[grant.pk for grant in grants]).delete()
        for grant in grants:
            details = {"account": account.get_username(), "account_id": account.pk, **counts[grant.app_id]}
            _audit(
                actor=actor, app=grant.app, action=AuditAction.REVOKE_ACCESS, origin=origin, details=details
            )
    return counts
