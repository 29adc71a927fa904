from datetime import timedelta

import pytest
from django.utils import timezone

from apps_registry.models import AccessToken
from tests.conftest import REACH

PAIRS = [(actor, target) for actor in REACH for target in REACH]


@pytest.fixture
def expired_token(db):
    """An access token of an App that expired an hour ago."""

    def make(app, user=None):
        return AccessToken.objects.create(
            user=user or app.owner,
            application=app,
            token=f"expired-{app.pk}-{AccessToken.objects.count()}",
            expires=timezone.now() - timedelta(hours=1),
            scope="",
        )

    return make
