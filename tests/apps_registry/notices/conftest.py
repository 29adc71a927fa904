"""The notice tests' fixtures: each test starts with no recent failure of the mail server,
and the demo `user` account's App."""

import pytest

from apps_registry import notices
from tests.apps_registry.notices.helpers import APP_EMAIL
from tests.factories import AppFactory


@pytest.fixture(autouse=True)
def _mail_server_not_failed_recently(monkeypatch):
    """Each test starts as a fresh process does: no recent failure of the mail server."""
    monkeypatch.setattr(notices, "_quiet_until", 0.0)


@pytest.fixture
def app(demo):
    """The demo `user` account's App, with an admin e-mail of its own."""
    return AppFactory(owner=demo["user"], name="Calendar Sync", email=APP_EMAIL)
