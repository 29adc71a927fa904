"""Create the demo hierarchy with known logins (idempotent)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import Account, Kind

# username, kind, parent username, name
DEMO_ACCOUNTS = [
    ("admin", Kind.ADMINISTRATOR, None, "Demo Administrator"),
    ("provider", Kind.SERVICE_PROVIDER, "admin", "Demo Service Provider"),
    ("organization", Kind.ORGANIZATION, "provider", "Demo Organization"),
    ("user", Kind.USER, "organization", "Demo User"),
    ("organization2", Kind.ORGANIZATION, "admin", "Second Demo Organization"),
    ("user2", Kind.USER, "organization2", "Second Demo User"),
]


class Command(BaseCommand):
    help = "Create the six demo accounts (admin, provider, organization, user, organization2, user2)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--password", default="demo", help="Password of every demo account (default: demo)."
        )
        parser.add_argument(
            "--force", action="store_true", help="Run even with DEBUG off (known passwords!)."
        )

    def handle(self, *args, password: str, force: bool, **options):
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
                    account = Account.objects.create_user(
                        username,
                        password,
                        kind=kind,
                        parent=accounts.get(parent),
                        name=name,
                        email=f"{username}@demo.example",
                    )
                    created.append(username)
                elif account.kind != kind or account.parent_id != getattr(accounts.get(parent), "pk", None):
                    raise CommandError(f"An account named {username!r} exists with another kind or parent.")
                else:
                    account.set_password(password)
                    account.save(update_fields=["password"])
                accounts[username] = account
        self.stdout.write(f"Demo accounts ready ({len(created)} created). Sign in with any of them:")
        for username, kind, parent, _name in DEMO_ACCOUNTS:
            under = f" under {parent}" if parent else ""
            self.stdout.write(f"  {username:<14} / {password}   ({kind.label}{under})")
