"""The notice tests' fixtures: the demo `user` account's App, whose admin e-mail was confirmed
(design §3: only a confirmed admin e-mail is mailed)."""

import pytest

from tests.apps_registry.notices.helpers import APP_EMAIL, confirmed_app


@pytest.fixture
def app(demo):
    """The demo `user` account's App, with a confirmed admin e-mail of its own."""
    return confirmed_app(owner=demo["user"], name="Calendar Sync", email=APP_EMAIL)
