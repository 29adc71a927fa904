"""What an App has issued (tokens and codes): revoking them, deleting them in bulk when an
App or an account goes, and purging the rows of removed secrets in bounded batches."""

from __future__ import annotations

from collections.abc import Collection

from django.db import connection, transaction
from django.db.models import Count, Q
from oauth2_provider.models import get_grant_model, get_id_token_model

from accounts.models import Account
from portal.audit import Origin

from ..models import AccessToken, App, AppAuthorization, AppSecret, AuditAction, RefreshToken
from ._rules import _audit, _require_manager


def _token_models() -> list[tuple[str, type]]:
    return [("refresh_tokens", RefreshToken), ("access_tokens", AccessToken)]


def _code_models() -> list[tuple[str, type]]:
    # django-oauth-toolkit's OpenID Connect is off: no ID tokens in practice.
    return [("id_tokens", get_id_token_model()), ("authorization_codes", get_grant_model())]


def _issued_credential_models() -> list[tuple[str, type]]:
    """Every model that holds an issued credential, under the name the counts use."""
    return [*_token_models(), *_code_models()]


def _delete_issued(where: str, params: list, *, models: list[tuple[str, type]] | None = None) -> dict:
    """One DELETE per credential table, never row by row, of the rows matching `where` (SQL
    over the table's own `application_id` and `user_id` columns, written here, never input).

    Tokens reference each other (refresh <-> access, access -> ID token), all within the
    App; the foreign keys are checked at the end of the transaction, so the order is free.
    Returns how many rows went from each table."""
    quote = connection.ops.quote_name
    counts = {}
    with connection.cursor() as cursor:
        for label, model in models or _issued_credential_models():
            table = quote(model._meta.db_table)  # a model's own table name, not input
            cursor.execute(f"DELETE FROM {table} WHERE {where}", params)  # noqa: S608
            counts[label] = cursor.rowcount
    return counts


def _delete_issued_credentials(app_id: int) -> dict:
    """Delete every token and code of an App."""
    return _delete_issued("application_id = %s", [app_id])


def _delete_issued_per_app(
    app_ids: list[int], *, models: list[tuple[str, type]] | None = None
) -> dict[int, dict]:
    """Delete every token and code of the Apps (or only those of `models`), one DELETE per table
    for them all; returns, by App, how many of each went (for one App the DELETEs' own counts;
    for more, a grouped count per table first, from the tables' application index)."""
    models = models or _issued_credential_models()
    if len(app_ids) == 1:
        return {app_ids[0]: _delete_issued("application_id = %s", [app_ids[0]], models=models)}
    counts: dict[int, dict] = {app_id: {} for app_id in app_ids}
    for label, model in models:
        rows = getattr(model, "all_objects", model.objects)  # the tokens of removed secrets too
        found = dict(
            rows.filter(application_id__in=app_ids)
            .order_by()
            .values_list("application_id")
            .annotate(n=Count("pk"))
        )
        for app_id in app_ids:
            counts[app_id][label] = found.get(app_id, 0)
    marks = ", ".join(["%s"] * len(app_ids))
    _delete_issued(f"application_id IN ({marks})", list(app_ids), models=models)
    return counts


def _forget_grants_per_app(app_ids: list[int]) -> dict[int, int]:
    """_forget_grants for several Apps at once: how many went, by App."""
    if len(app_ids) == 1:
        return {app_ids[0]: _forget_grants(app_ids[0])}
    grants = AppAuthorization.objects.filter(app_id__in=app_ids)
    found = dict(grants.order_by().values_list("app_id").annotate(n=Count("pk")))
    grants.delete()
    return {app_id: found.get(app_id, 0) for app_id in app_ids}


def _forget_grants(app_id: int) -> int:
    """Forget every account's remembered consent to the App (design §6): authorize.php asks
    each of them again. Regenerate and "Revoke all tokens" do it, so that cutting an App off
    is not undone by a code it gets without asking. Returns how many went."""
    return AppAuthorization.objects.filter(app_id=app_id).delete()[0]


def revoke_account_credentials(*, account: Account) -> dict:
    """Delete what a deactivated account holds (design §8): every token and unused code that
    acts for it, on any App, and every token and code of the Apps it owns. One DELETE per table
    and condition, never row by row. Called inside the deactivation's transaction (the
    `account_deactivated` receiver); reactivating gives nothing back."""
    app_table = connection.ops.quote_name(App._meta.db_table)
    # The grants go too: reactivated, the account (or the users of its Apps) is asked again.
    AppAuthorization.objects.filter(Q(account_id=account.pk) | Q(app__owner_id=account.pk)).delete()
    return _delete_issued(
        f"user_id = %s OR application_id IN (SELECT id FROM {app_table} WHERE owner_id = %s)",  # noqa: S608
        [account.pk, account.pk],
    )


def app_revoke_tokens(
    *, actor: Account, app: App, origin: Origin, access_token_ids: Collection[int] | None = None
) -> dict:
    """Revoke every token and unused code of the App (the secret stays) and forget the consents
    remembered for it, or only the given access tokens and their refresh tokens. Returns how
    many of each were revoked."""
    _require_manager(actor, app.owner)
    with transaction.atomic():
        app = App.objects.select_for_update().get(pk=app.pk)  # DoesNotExist if removed meanwhile
        if access_token_ids is None:
            revoked = _delete_issued_credentials(app.pk)
            revoked["grants"] = _forget_grants(app.pk)
        else:
            # A handful picked from the token list: the ORM's delete keeps the links between
            # the remaining tokens consistent (SET_NULL) at a cost that does not matter here.
            ids = list(access_token_ids)
            refresh_tokens = RefreshToken.objects.filter(application=app, access_token_id__in=ids)
            access_tokens = AccessToken.objects.filter(application=app, pk__in=ids)
            revoked = {
                "refresh_tokens": refresh_tokens.delete()[1].get(RefreshToken._meta.label, 0),
                "access_tokens": access_tokens.delete()[1].get(AccessToken._meta.label, 0),
            }
        _audit(actor=actor, app=app, action=AuditAction.REVOKE_TOKENS, origin=origin, details=revoked)
    return revoked


# --- the rows of removed secrets ------------------------------------------------------------

PURGE_BATCH = 5000


def delete_access_token_rows(cursor, rows: list[tuple[int, int | None]]) -> tuple[int, int]:
    """Delete the access tokens of `rows` ((id, id_token_id) pairs, as selected) and the ID
    tokens they link to, with `cursor`, in the caller's transaction. Returns how many of each
    went."""
    if not rows:
        return 0, 0
    quote = connection.ops.quote_name
    access = quote(AccessToken._meta.db_table)
    id_tokens = quote(get_id_token_model()._meta.db_table)
    marks = ", ".join(["%s"] * len(rows))
    cursor.execute(f"DELETE FROM {access} WHERE id IN ({marks})", [pk for pk, _ in rows])  # noqa: S608
    deleted = cursor.rowcount
    linked = [id_token for _, id_token in rows if id_token is not None]
    if not linked:
        return deleted, 0
    marks = ", ".join(["%s"] * len(linked))
    cursor.execute(f"DELETE FROM {id_tokens} WHERE id IN ({marks})", linked)  # noqa: S608
    return deleted, cursor.rowcount


def purge_removed_secrets(*, batch: int = PURGE_BATCH, max_batches: int | None = None) -> dict:
    """Delete the tokens of removed secrets (refused since the removal), `batch` rows of a
    table per transaction, then each secret's own row once its last token is gone. At most
    `max_batches` transactions when given (a bounded slice of the work); what is left waits
    for the next run. Returns how many rows went from each table."""
    quote = connection.ops.quote_name
    access, refresh = quote(AccessToken._meta.db_table), quote(RefreshToken._meta.db_table)
    counts = {"access_tokens": 0, "refresh_tokens": 0, "id_tokens": 0, "secrets": 0}
    done = 0
    for secret_id in (
        AppSecret.objects.filter(removed__isnull=False).order_by("pk").values_list("pk", flat=True)
    ):
        while max_batches is None or done < max_batches:
            done += 1
            with transaction.atomic(), connection.cursor() as cursor:
                # Tables written here, never input; the ids are parameters.
                cursor.execute(
                    f"DELETE FROM {refresh} WHERE id IN "  # noqa: S608
                    f"(SELECT id FROM {refresh} WHERE secret_id = %s LIMIT %s)",
                    [secret_id, batch],
                )
                counts["refresh_tokens"] += cursor.rowcount
                moved = cursor.rowcount
                # Those no refresh token left for a later batch still names (the key of
                # migration 0013 would refuse the COMMIT).
                cursor.execute(
                    f"SELECT a.id, a.id_token_id FROM {access} a WHERE a.secret_id = %s "  # noqa: S608
                    f"AND NOT EXISTS (SELECT 1 FROM {refresh} r WHERE r.access_token_id = a.id) LIMIT %s",
                    [secret_id, batch],
                )
                rows = cursor.fetchall()
                access_count, id_count = delete_access_token_rows(cursor, rows)
                counts["access_tokens"] += access_count
                counts["id_tokens"] += id_count
                if moved < batch and len(rows) < batch:
                    # Nothing of it is left: no new token can name it (the trigger).
                    counts["secrets"] += AppSecret.objects.filter(pk=secret_id).delete()[0]
                    break
        if max_batches is not None and done >= max_batches:
            break
    return counts
