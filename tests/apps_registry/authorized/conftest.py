"""The Authorized Apps tests' fixtures."""

import pytest

from apps_registry.models import Api
from tests.factories import AppFactory


@pytest.fixture
def apps(demo):
    """Two Apps of organization2 (out of the demo user's reach) and one of the user's own."""
    return {
        "calendar": AppFactory(owner=demo["organization2"], name="Calendar", api=Api.UNIFIEDAPI),
        "crm": AppFactory(owner=demo["organization2"], name="CRM", api=Api.SYSTEMAPI),
        "own": AppFactory(owner=demo["user"], name="Own"),
    }
