"""Create an RFC 7591 initial access token for an account and print it, once."""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.models import Account
from oauth.services import COMMAND_LINE, initial_access_token_create


class Command(BaseCommand):
    help = (
        "Create an initial access token that registers Apps to ACCOUNT through /oauth/register "
        "(RFC 7591), and print it: it is shown only this once (only its checksum is kept)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--account", required=True, help="The account's username.")
        parser.add_argument("--name", required=True, help="What the token is for.")
        parser.add_argument("--days", type=int, default=7, help="Days until it expires (1 to 90, default 7).")
        parser.add_argument("--uses", type=int, default=1, help="Registrations allowed (default 1).")

    def handle(self, *args, **options):
        account = Account.objects.filter(username=options["account"]).first()
        if account is None:
            raise CommandError(f"No account {options['account']!r}.")
        try:
            token, value = initial_access_token_create(
                actor=account,
                account=account,
                name=options["name"],
                expires=timezone.now() + timedelta(days=options["days"]),
                max_uses=options["uses"],
                origin=COMMAND_LINE,
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stdout.write(value)
        self.stderr.write(
            f"Initial access token {token.name!r} for {account.username}: expires "
            f"{token.expires:%Y-%m-%d %H:%M %Z}, {token.max_uses} registration(s). Shown only once."
        )
