"""The clean-up of what can no longer be used (docs/deployment.md): expired tokens, in
bounded batches, and the one-time records kept against replays.

The one-time records are purged here and only here: as they are written (a bounded DELETE of
the expired ones) and by `manage.py purge_expired` on a schedule.
"""

from __future__ import annotations

import contextlib
import time
from datetime import datetime, timedelta
from itertools import groupby

from django.db import connection, transaction
from django.db.models import Max, Min
from django.utils import timezone
from oauth2_provider.models import clear_expired
from oauth2_provider.settings import oauth2_settings

from apps_registry import notices
from apps_registry.models import (
    AccessToken,
    App,
    ClientRegistration,
    ConsumedRegistration,
    MetadataFetch,
    RedeemedCode,
    RefreshToken,
)
from apps_registry.services import (
    COMMAND_LINE,
    Origin,
    apps_remove,
    delete_access_token_rows,
    purge_removed_secrets,
)

# How long a register.php consent page may stay open before its submit is refused.
CONSENT_MAX_AGE = timedelta(hours=1)
# An open-registered App (RFC 7591, no initial access token) that gets no token this long
# after it registered is removed (design §6.1).
OPEN_REGISTRATION_UNUSED_LIFETIME = timedelta(days=1)
# The open registration rate limit counts the registrations of the past hour, removed Apps'
# included: their records are kept that long.
OPEN_REGISTRATION_RATE_WINDOW = timedelta(hours=1)


def code_lifetime() -> timedelta:
    return timedelta(seconds=oauth2_settings.AUTHORIZATION_CODE_EXPIRE_SECONDS)


def purge_redeemed_codes(now: datetime | None = None) -> int:
    """Forget redeemed codes once such a code would have expired anyway."""
    cutoff = (now or timezone.now()) - code_lifetime()
    return RedeemedCode.objects.filter(created__lt=cutoff).delete()[0]


def purge_consumed_registrations(now: datetime | None = None) -> int:
    """Forget consumed register.php consents once their page would have expired anyway."""
    cutoff = (now or timezone.now()) - CONSENT_MAX_AGE
    return ConsumedRegistration.objects.filter(created__lt=cutoff).delete()[0]


def purge_unused_open_registrations(now: datetime | None = None, *, origin: Origin = COMMAND_LINE) -> int:
    """Remove the open-registered Apps that got no token within a day (through apps_remove, as
    their owning account: audited, one digest of notices for the owner), and forget the
    registrations of removed Apps once the rate limit no longer counts them."""
    now = now or timezone.now()
    removed = 0
    expired = App.objects.select_related("owner").filter(unused_expires__lte=now).order_by("owner_id", "pk")
    for _owner_id, apps in groupby(expired, key=lambda app: app.owner_id):
        apps = list(apps)
        removed += len(apps_remove(actor=apps[0].owner, apps=apps, origin=origin).changed)
    ClientRegistration.objects.filter(
        app__isnull=True, created__lt=now - OPEN_REGISTRATION_RATE_WINDOW
    ).delete()
    return removed


# Expired access tokens are deleted by ranges of this many ids, each range its own short
# transaction, followed by a pause EXPIRED_PAUSE_FACTOR times as long as the batch took (and at
# least EXPIRED_PAUSE): the purge holds the write lock at most a quarter of the time, so the
# token endpoint's writers (which on SQLite wait for the one write lock) keep getting in (make
# bench, row C: with batches of 2000 ids and a fixed 2 ms pause, token requests waited up to a
# second on SQLite; with a pause as long as the batch, P1's p99 was 2.8 times its quiet one).
EXPIRED_BATCH = 500
EXPIRED_PAUSE = 0.002  # seconds
EXPIRED_PAUSE_FACTOR = 3


def purge_expired_access_tokens(
    now: datetime | None = None, *, batch: int = EXPIRED_BATCH, pause: float = EXPIRED_PAUSE
) -> int:
    """Delete the access tokens that expired before `now` and have no refresh token (a
    refresh token can still be exchanged; django-oauth-toolkit's rule), with the ID tokens
    they link to. The table is walked by ranges of `batch` ids, each deleted in its own
    transaction: every batch costs the same bounded work whatever the table holds (no index
    on `expires` is needed, and none is paid for on every token insert), no batch holds the
    write lock for long, and after each the purge waits EXPIRED_PAUSE_FACTOR times as long as
    the batch took (`pause` at least). Returns how many access tokens went."""
    now = now or timezone.now()
    quote = connection.ops.quote_name
    access, refresh = quote(AccessToken._meta.db_table), quote(RefreshToken._meta.db_table)
    bounds = AccessToken.all_objects.filter(expires__lt=now).aggregate(low=Min("pk"), high=Max("pk"))
    if bounds["low"] is None:
        return 0
    deleted = 0
    with _checkpoints_between_batches() as checkpoint:
        for start in range(bounds["low"], bounds["high"] + 1, batch):
            deleted += _purge_batch(access, refresh, start, start + batch, now, pause, checkpoint)
    return deleted


@contextlib.contextmanager
def _checkpoints_between_batches():
    """On SQLite, the write-ahead log copied back into the database by the purge itself, after
    each batch, in its pause, instead of by whichever COMMIT finds the log past 1000 pages
    (SQLite's wal_autocheckpoint): that COMMIT, a token request's as often as the purge's,
    copies and syncs the pages the purge dirtied while every other writer waits for it. A
    PASSIVE checkpoint holds no write lock. Yields whether to checkpoint (not inside a
    caller's transaction, where SQLite refuses it)."""
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        yield False
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_autocheckpoint")
        (pages,) = cursor.fetchone()
        cursor.execute("PRAGMA wal_autocheckpoint=0")
    try:
        yield True
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA wal_autocheckpoint={int(pages)}")


def _purge_batch(
    access: str, refresh: str, low: int, high: int, now: datetime, pause: float, checkpoint: bool
) -> int:
    """One range of ids of purge_expired_access_tokens, then the checkpoint and the pause."""
    started = time.monotonic()
    with transaction.atomic(), connection.cursor() as cursor:
        # Tables named here, never input; the bounds and the time are parameters.
        cursor.execute(
            f"SELECT a.id, a.id_token_id FROM {access} a "  # noqa: S608
            f"WHERE a.id >= %s AND a.id < %s AND a.expires < %s AND NOT EXISTS "
            f"(SELECT 1 FROM {refresh} r WHERE r.access_token_id = a.id)",
            [low, high, now],
        )
        rows = cursor.fetchall()
        deleted = delete_access_token_rows(cursor, rows)[0]
    if rows and checkpoint:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
    if rows and pause:
        time.sleep(max(pause, EXPIRED_PAUSE_FACTOR * (time.monotonic() - started)))
    return deleted


def purge_expired(*, now: datetime | None = None) -> dict[str, int]:
    """Delete what can no longer be used: django-oauth-toolkit's expired tokens and codes
    (`cleartokens`), the tokens of removed secrets (refused since the removal or Regenerate;
    deleted in bounded batches, each its own transaction) with the secrets' rows, the two
    kinds of one-time records above, the open-registered Apps never used, and the notices'
    letters sent a week ago (apps_registry.notices.purge_outbox). Rotated refresh
    tokens are kept (django-oauth-toolkit's reuse protection needs them)."""
    now = now or timezone.now()
    expired = purge_expired_access_tokens(now)
    # The rest of `cleartokens`: revoked and expired refresh tokens, expired codes, and the
    # access tokens whose refresh token it deletes (a few; the bulk went above).
    clear_expired()
    removed = purge_removed_secrets()
    with transaction.atomic():
        codes = purge_redeemed_codes(now)
        consents = purge_consumed_registrations(now)
        # The per-host limit of metadata document fetches counts the past hour only.
        fetches = MetadataFetch.objects.filter(created__lt=now - OPEN_REGISTRATION_RATE_WINDOW).delete()[0]
    unused = purge_unused_open_registrations(now)
    letters = notices.purge_outbox(now)
    return {
        "expired_access_tokens": expired,
        "redeemed_codes": codes,
        "consumed_registrations": consents,
        "unused_open_registrations": unused,
        "metadata_document_fetches": fetches,
        "removed_secrets": removed["secrets"],
        "tokens_of_removed_secrets": removed["access_tokens"] + removed["refresh_tokens"],
        "letters_sent": letters,
    }
