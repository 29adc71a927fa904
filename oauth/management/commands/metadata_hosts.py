"""List the Client ID Metadata Documents an account keeps as Apps, and refuse or allow again the
hosts that serve them (design §6.2), acting as that account."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import Account
from apps_registry.models import App, RefusedMetadataHost
from oauth.client_metadata import metadata_host_allow, metadata_host_refuse
from oauth.services import COMMAND_LINE


class Command(BaseCommand):
    help = (
        "list: the metadata documents' Apps of ACCOUNT (URL, last fetched, enabled) and its refused "
        "hosts; refuse HOST: fetch nothing more from it and disable its Apps; allow HOST: fetch again."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["list", "refuse", "allow"])
        parser.add_argument("host", nargs="?", help="The host, for refuse and allow.")
        parser.add_argument("--account", required=True, help="The owning account's username.")

    def handle(self, *args, **options):
        account = Account.objects.filter(username=options["account"]).first()
        if account is None:
            raise CommandError(f"No account {options['account']!r}.")
        action, host = options["action"], options["host"]
        if action == "list":
            apps = App.objects.filter(owner=account, registration_source=App.RegistrationSource.CIMD)
            for app in apps.order_by("client_id"):
                fetched = f"{app.metadata_fetched:%Y-%m-%d %H:%M %Z}" if app.metadata_fetched else "never"
                state = "enabled" if app.enabled else "disabled"
                self.stdout.write(f"{app.client_id}\t{app.name}\tfetched {fetched}\t{state}")
            for refused in RefusedMetadataHost.objects.filter(account=account):
                self.stdout.write(f"refused host: {refused.host}")
            return
        if not host:
            raise CommandError(f"{action} needs a HOST.")
        try:
            if action == "refuse":
                disabled = metadata_host_refuse(
                    actor=account, account=account, host=host, origin=COMMAND_LINE
                )
                self.stdout.write(f"Refused {host}; {disabled} App(s) disabled.")
            else:
                metadata_host_allow(actor=account, account=account, host=host, origin=COMMAND_LINE)
                self.stdout.write(f"Allowed {host} again.")
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
