"""The fuzz tests' fixtures."""

import pytest

from apps_registry.models import Api
from tests.factories import AppFactory
from tests.security.fuzz.helpers import REGISTERED


@pytest.fixture
def app(demo):
    return AppFactory(owner=demo["organization"], api=Api.UNIFIEDAPI, redirect_uri=REGISTERED)
