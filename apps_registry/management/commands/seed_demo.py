"""Create the demo hierarchy with known logins, and a few Apps for each account (idempotent)."""

import secrets
from typing import NamedTuple

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts import services as account_services
from accounts.models import Account, Kind
from apps_registry import services
from apps_registry.apis import api_kind
from apps_registry.models import Api, App
from portal.audit import COMMAND_LINE

# username, kind, parent username, name
DEMO_ACCOUNTS = [
    ("admin", Kind.ADMINISTRATOR, None, "Demo Administrator"),
    ("provider", Kind.SERVICE_PROVIDER, "admin", "Demo Service Provider"),
    ("organization", Kind.ORGANIZATION, "provider", "Demo Organization"),
    ("user", Kind.USER, "organization", "Demo User"),
    ("organization2", Kind.ORGANIZATION, "admin", "Second Demo Organization"),
    ("user2", Kind.USER, "organization2", "Second Demo User"),
]


class DemoApp(NamedTuple):
    name: str
    api: str
    trusted: bool
    enabled: bool
    host: str
    description: str


# The Apps each demo account gets: both tabs filled, trusted and not, one disabled. A Service
# Provider gets the SystemAPI ones only (it owns no UnifiedAPI App).
DEMO_APPS = [
    DemoApp("Provisioning Bot", Api.SYSTEMAPI, True, True, "provisioning", "Creates extensions nightly."),
    DemoApp("Legacy Billing Export", Api.SYSTEMAPI, False, False, "billing", "Replaced; kept disabled."),
    DemoApp("Calendar Sync", Api.UNIFIEDAPI, False, True, "calendar", "Syncs meetings to calls."),
    DemoApp("Wallboard", Api.UNIFIEDAPI, True, True, "wallboard", "Shows the queues on a TV."),
]


class Command(BaseCommand):
    help = (
        "Create the six demo accounts (admin, provider, organization, user, organization2, user2) "
        "and a few Apps for each."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--password", default="demo", help="Password of every demo account (default: demo)."
        )
        parser.add_argument(
            "--force", action="store_true", help="Run even with DEBUG off (known passwords!)."
        )
        parser.add_argument(
            "--no-apps", action="store_true", help="Create the accounts only, without their demo Apps."
        )

    def handle(self, *args, password: str, force: bool, no_apps: bool, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo creates accounts with known passwords; with DEBUG off, add --force."
            )
        created = []
        with transaction.atomic():
            accounts: dict[str, Account] = {}
            for username, kind, parent, name in DEMO_ACCOUNTS:
                account = Account.objects.filter(username=username).first()
                if account is None:
                    account = _create_account(
                        accounts, username, password, kind=kind, parent=parent, name=name
                    )
                    created.append(username)
                elif account.kind != kind or account.parent_id != getattr(accounts.get(parent), "pk", None):
                    raise CommandError(f"An account named {username!r} exists with another kind or parent.")
                else:
                    account.set_password(password)
                    account.save(update_fields=["password"])
                accounts[username] = account
            apps = 0 if no_apps else sum(_seed_apps(account) for account in accounts.values())
        self.stdout.write(f"Demo accounts ready ({len(created)} created). Sign in with any of them:")
        for username, kind, parent, _name in DEMO_ACCOUNTS:
            under = f" under {parent}" if parent else ""
            self.stdout.write(f"  {username:<14} / {password}   ({kind.label}{under})")
        if not no_apps:
            self.stdout.write(
                f"Each has a few demo Apps on its SystemAPI & UnifiedAPI page ({apps} created; "
                "an account that has Apps already gets none)."
            )


def _create_account(
    accounts: dict[str, Account], username: str, password: str, *, kind: str, parent: str | None, name: str
) -> Account:
    """A root Administrator directly (nobody above it could add it, as with `createsuperuser`);
    every other demo account through
    accounts.services.account_create, added by the demo root (audited as the command line).
    The service checks the password against AUTH_PASSWORD_VALIDATORS, which the demo's known
    password fails: the account is added with a random one, then given the demo password, as
    a second run of this command does (not audited, like that run). The random one is 64 hex
    digits: Django's similarity check counts the characters a password shares with the
    username and the e-mail, and a token_urlsafe could share 20 of the 25 of
    "organization@demo.example" (rarely, but once in CI: the tests' demo accounts refused at
    random); hex digits share at most 8 with any demo account's (a similarity of 0.18 at most,
    against the check's 0.7)."""
    email = f"{username}@demo.example"
    if parent is None:
        return Account.objects.create_user(username, password, kind=kind, name=name, email=email)
    account = account_services.account_create(
        actor=accounts["admin"],
        parent=accounts[parent],
        kind=kind,
        username=username,
        password=secrets.token_hex(32),
        name=name,
        email=email,
        origin=COMMAND_LINE,
    )
    account.set_password(password)
    account.save(update_fields=["password"])
    return account


def _seed_apps(account: Account) -> int:
    """Add the demo Apps to an account that has none, through the services as the account
    itself (audited as the command line). Returns how many were created."""
    if App.objects.filter(owner=account).exists():
        return 0
    count = 0
    for demo in DEMO_APPS:
        if not api_kind(demo.api).may_be_owned_by(account):
            continue
        app = services.app_create(
            actor=account,
            owner=account,
            api=demo.api,
            name=demo.name,
            description=demo.description,
            homepage=f"https://{demo.host}.example/",
            email=f"dev@{demo.host}.example",
            redirect_uri=f"https://{demo.host}.example/oauth/callback",
            trusted=demo.trusted,
            origin=services.COMMAND_LINE,
        )
        if not demo.enabled:
            services.app_set_enabled(actor=account, app=app, enabled=False, origin=services.COMMAND_LINE)
        count += 1
    return count
