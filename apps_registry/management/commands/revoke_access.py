"""Revoke the access an account gave to Apps, from the command line, through the service."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import Account
from apps_registry import services
from apps_registry.models import App


class Command(BaseCommand):
    help = (
        "Revoke the access an account gave to Apps (by App ID/key): their tokens, refresh tokens "
        "and unused codes for the account go, and each App must ask again. Prints how many went."
    )

    def add_arguments(self, parser):
        parser.add_argument("account", help="Username of the account whose grants are revoked.")
        parser.add_argument(
            "client_ids",
            nargs="+",
            metavar="client_id",
            help='App ID/key of each App (after "--" when one begins with "-").',
        )
        parser.add_argument(
            "--actor",
            help="Username of the account acting (one that manages it); the account itself by default.",
        )

    def handle(self, *args, **options):
        account = Account.objects.filter(username=options["account"]).first()
        if account is None:
            raise CommandError(f"account_not_found: no account named {options['account']!r}.")
        actor = account
        if options["actor"]:
            actor = Account.objects.filter(username=options["actor"]).first()
            if actor is None:
                raise CommandError(f"account_not_found: no account named {options['actor']!r}.")
        keys = [key for key in options["client_ids"] if "\x00" not in key]  # PostgreSQL refuses a NUL
        apps = list(App.objects.filter(client_id__in=keys).only("pk", "client_id"))
        missing = sorted(set(options["client_ids"]) - {app.client_id for app in apps})
        if missing:
            raise CommandError(f"app_not_found: no App with the key {', '.join(missing)}.")
        try:
            revoked = services.app_revoke_access(
                actor=actor, account=account, apps=apps, origin=services.COMMAND_LINE
            )
        except ValidationError as error:
            raise CommandError(f"{error.code}: {' '.join(error.messages)}") from None
        except PermissionDenied as error:
            raise CommandError(f"permission_denied: {error}") from None
        for app in apps:
            counts = revoked[app.pk]
            self.stdout.write(
                f"{app.client_id}: revoked, {counts['access_tokens']} access token(s), "
                f"{counts['refresh_tokens']} refresh token(s), {counts['authorization_codes']} code(s)"
            )
