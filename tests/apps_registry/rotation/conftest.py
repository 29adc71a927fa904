"""The rotation tests' fixtures."""

from __future__ import annotations

import pytest


@pytest.fixture
def owner(demo):
    return demo["organization"]
