"""The scheduled clean-up (docs/deployment.md): `purge_expired` and django-oauth-toolkit's
`cleartokens` on the swapped token models delete what can no longer be used, and nothing else."""

import io
import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from oauth2_provider.models import Grant

from apps_registry.models import AccessToken, ConsumedRegistration, RedeemedCode, RefreshToken
from tests.helpers import grant_while_made

pytestmark = pytest.mark.django_db


@pytest.fixture
def records(demo_apps):
    """One live and one dead of each kind of record the clean-up looks at."""
    app = demo_apps["organization"]
    user = app.owner
    now = timezone.now()
    live = AccessToken.objects.create(
        user=user, application=app, token="live", expires=now + timedelta(hours=1)
    )
    expired = AccessToken.objects.create(
        user=user, application=app, token="dead", expires=now - timedelta(hours=1)
    )
    # Expired, but its refresh token can still be exchanged: kept.
    refreshable = AccessToken.objects.create(
        user=user, application=app, token="old", expires=now - timedelta(days=1)
    )
    with grant_while_made(app, user):
        RefreshToken.objects.create(user=user, application=app, token="refresh", access_token=refreshable)
    Grant.objects.create(
        user=user,
        application=app,
        code="stale",
        expires=now - timedelta(minutes=1),
        redirect_uri=app.redirect_uri,
    )
    Grant.objects.create(
        user=user,
        application=app,
        code="fresh",
        expires=now + timedelta(minutes=9),
        redirect_uri=app.redirect_uri,
    )
    RedeemedCode.objects.create(code_checksum="old", application=app)
    RedeemedCode.objects.create(code_checksum="new", application=app)
    RedeemedCode.objects.filter(code_checksum="old").update(created=now - timedelta(minutes=11))
    ConsumedRegistration.objects.create(nonce="old")
    ConsumedRegistration.objects.create(nonce="new")
    ConsumedRegistration.objects.filter(nonce="old").update(created=now - timedelta(hours=2))
    return {"live": live, "expired": expired, "refreshable": refreshable}


def test_purge_expired_deletes_only_what_can_no_longer_be_used(records):
    out = io.StringIO()
    call_command("purge_expired", stdout=out)
    assert set(AccessToken.objects.values_list("token", flat=True)) == {"live", "old"}
    assert RefreshToken.objects.filter(token="refresh").exists()
    assert set(Grant.objects.values_list("code", flat=True)) == {"fresh"}
    assert set(RedeemedCode.objects.values_list("code_checksum", flat=True)) == {"new"}
    assert set(ConsumedRegistration.objects.values_list("nonce", flat=True)) == {"new"}
    assert "1 redeemed-code record(s) and 1 consumed-registration record(s)" in out.getvalue()


def test_cleartokens_works_on_the_swapped_token_models(records):
    call_command("cleartokens")
    assert set(AccessToken.objects.values_list("token", flat=True)) == {"live", "old"}
    assert set(Grant.objects.values_list("code", flat=True)) == {"fresh"}


def test_expired_access_tokens_go_in_batches_and_the_live_ones_stay(demo_apps):
    """Ranges of ids, each its own transaction: expired tokens on either side of live ones
    and of a refreshable one all go, whatever the batch size; nothing else does."""
    from oauth.housekeeping import purge_expired_access_tokens

    app = demo_apps["organization"]
    now = timezone.now()
    kinds = ["dead", "live", "dead", "dead", "refreshable", "dead", "live", "dead"]
    for index, kind in enumerate(kinds):
        expires = now + timedelta(hours=1) if kind == "live" else now - timedelta(minutes=index + 1)
        token = AccessToken.objects.create(
            user=app.owner, application=app, token=f"{kind}-{index}", expires=expires
        )
        if kind == "refreshable":
            with grant_while_made(app, app.owner):
                RefreshToken.objects.create(user=app.owner, application=app, token="r", access_token=token)

    assert purge_expired_access_tokens(batch=3, pause=0) == 5
    assert sorted(AccessToken.objects.values_list("token", flat=True)) == [
        "live-1",
        "live-6",
        "refreshable-4",
    ]
    assert purge_expired_access_tokens(batch=3, pause=0) == 0


def test_purge_expired_says_how_many_expired_tokens_went_and_how_long_it_took(records):
    out = io.StringIO()
    call_command("purge_expired", stdout=out)
    assert "Deleted 1 expired access token(s)" in out.getvalue()
    assert re.search(r"Took \d+\.\d s\.", out.getvalue())


@pytest.mark.django_db(transaction=True)
def test_the_purge_outside_a_transaction_checkpoints_itself_and_restores_sqlite_autocheckpoint(demo_apps):
    """Run as `manage.py purge_expired` runs (autocommit): on SQLite the purge copies the log
    back itself between batches, and leaves the connection's wal_autocheckpoint as it was."""
    from django.db import connection

    from oauth.housekeeping import purge_expired_access_tokens

    app = demo_apps["organization"]
    expired = timezone.now() - timedelta(minutes=5)
    for index in range(4):
        AccessToken.objects.create(user=app.owner, application=app, token=f"old-{index}", expires=expired)
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_autocheckpoint")
            before = cursor.fetchone()[0]

    assert purge_expired_access_tokens(batch=2, pause=0) == 4
    assert not AccessToken.objects.filter(token__startswith="old-").exists()
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_autocheckpoint")
            assert cursor.fetchone()[0] == before
