import io
import os
import secrets
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import Account, AccountEvent
from apps_registry.models import AccessToken, Api, RefreshToken
from tests.factories import AppFactory
from tests.helpers import DEMO_PERSONAS, REDIRECT, grant_while_made


@pytest.fixture
def demo(db) -> dict[str, Account]:
    """The six demo accounts, created by the real `seed_demo` command (without its demo Apps,
    and without the audit rows of its account_create calls, so every App and every account
    event a test counts is one it made; tests/accounts/test_seed_demo.py checks those rows)."""
    call_command("seed_demo", "--force", "--password", "demo", "--no-apps", stdout=io.StringIO())
    AccountEvent.objects.all().delete()
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


@pytest.fixture
def make_tokens(db):
    """Give an App `count` live access tokens, each with its refresh token (bulk inserts)."""

    def make(app, count: int, user=None, secret=...) -> list[AccessToken]:
        """Minted with the App's newest secret, as the token endpoint would (`secret=None`: none)."""
        user = user or app.owner
        if secret is ...:
            secret = app.secrets.live().order_by("created", "pk").last()
        expires = timezone.now() + timedelta(hours=1)
        prefix = secrets.token_hex(6)
        access = AccessToken.objects.bulk_create(
            [
                AccessToken(
                    user=user,
                    application=app,
                    token=f"a{prefix}{i}",
                    expires=expires,
                    scope="",
                    secret=secret,
                )
                for i in range(count)
            ],
            batch_size=5000,
        )
        with grant_while_made(app, user):
            RefreshToken.objects.bulk_create(
                [
                    RefreshToken(
                        user=user, application=app, token=f"r{prefix}{i}", access_token=token, secret=secret
                    )
                    for i, token in enumerate(access)
                ],
                batch_size=5000,
            )
        return access

    return make


CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium driven by Playwright (which is never allowed to download a browser)."""
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are still sync.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, live_server):
    """A fresh browser tab (own cookies) whose relative URLs go to the live server."""
    context = chromium.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    context.close()


# --- Apps of the demo Organization that the OAuth tests use ---------------------------------


@pytest.fixture
def web_app(demo):
    """An ordinary (untrusted) UnifiedAPI App of the demo Organization."""
    return AppFactory(owner=demo["organization"], api=Api.UNIFIEDAPI, name="Web App", redirect_uri=REDIRECT)


@pytest.fixture
def trusted_app(demo):
    """A trusted UnifiedAPI App of the demo Organization: it may use client_credentials."""
    return AppFactory(owner=demo["organization"], api=Api.UNIFIEDAPI, trusted=True, name="Trusted")


@pytest.fixture
def systemapi_app(demo):
    """A trusted SystemAPI App of the demo Organization: its tokens are no good on UnifiedAPI."""
    return AppFactory(owner=demo["organization"], api=Api.SYSTEMAPI, trusted=True, name="System")


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
