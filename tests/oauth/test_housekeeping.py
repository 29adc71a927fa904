"""The scheduled clean-up (docs/deployment.md): `purge_expired` and django-oauth-toolkit's
`cleartokens` on the swapped token models delete what can no longer be used, and nothing else."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from oauth2_provider.models import Grant

from apps_registry.models import AccessToken, ConsumedRegistration, RedeemedCode, RefreshToken

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
    assert "Deleted 1 redeemed-code record(s) and 1 consumed-registration record(s)" in out.getvalue()


def test_cleartokens_works_on_the_swapped_token_models(records):
    call_command("cleartokens")
    assert set(AccessToken.objects.values_list("token", flat=True)) == {"live", "old"}
    assert set(Grant.objects.values_list("code", flat=True)) == {"fresh"}
