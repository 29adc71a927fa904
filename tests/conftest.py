import io

import pytest
from django.core.management import call_command

from accounts.models import Account
from apps_registry.models import Api
from tests.factories import AppFactory

DEMO_PERSONAS = ["admin", "provider", "organization", "user", "organization2", "user2"]


@pytest.fixture
def demo(db) -> dict[str, Account]:
    """The six demo accounts, created by the real `seed_demo` command."""
    call_command("seed_demo", "--force", "--password", "demo", stdout=io.StringIO())
    return {account.username: account for account in Account.objects.filter(username__in=DEMO_PERSONAS)}


@pytest.fixture
def demo_apps(demo) -> dict[str, object]:
    """One SystemAPI App owned by each demo account."""
    return {username: AppFactory(owner=account, api=Api.SYSTEMAPI) for username, account in demo.items()}


@pytest.fixture
def login(client):
    """Sign the test client in as an account."""

    def sign_in(account: Account):
        client.force_login(account)
        return client

    return sign_in
