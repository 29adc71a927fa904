"""The playground tests' fixtures: the portal's public address where nothing listens, the
playground's callback, a signed-in organization's client."""

from __future__ import annotations

import pytest


@pytest.fixture
def base(settings) -> str:
    """The portal's public address: a loopback URL (so register.php takes the callback with
    OAUTH_ALLOW_LOOPBACK_HTTP on) where nothing listens: the playground never connects to it."""
    settings.PORTAL_BASE_URL = "http://127.0.0.1:9"
    return settings.PORTAL_BASE_URL


@pytest.fixture
def callback(base) -> str:
    return f"{base}/playground/callback/"


@pytest.fixture
def org(demo, client):
    client.force_login(demo["organization"])
    return client
