"""An App's secrets from the command line: list them, add a second one, remove one. Through
the same services as the portal and the admin; the command acts as the App's owner account."""

import json

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from apps_registry import services
from apps_registry.models import App
from apps_registry.selectors import app_secrets

from .register_app import _describe


class Command(BaseCommand):
    help = (
        "list: the App's secrets (id, masked, added, by, last used, live tokens). "
        "add: a second secret, printed once as JSON {secret_id, client_secret}. "
        "remove --secret-id N: remove one of two secrets; the tokens it issued stop working."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["list", "add", "remove"])
        parser.add_argument(
            "client_id",
            help='The App ID/key (one that begins with "-" goes after "--", '
            "as in: remove --secret-id 3 -- -AbC...).",
        )
        parser.add_argument("--secret-id", type=int, help="remove: which secret (see list).")

    def handle(self, *args, **options):
        app = App.objects.select_related("owner").filter(client_id=options["client_id"]).first()
        if app is None:
            raise CommandError(f"app_not_found: no App with the key {options['client_id']!r}.")
        actor = app.owner  # as register_app: the owning account acts
        try:
            if options["action"] == "list":
                self._list(app)
            elif options["action"] == "add":
                app, secret = services.app_add_secret(actor=actor, app=app, origin=services.COMMAND_LINE)
                added = app.live_secrets[-1]
                self.stdout.write(json.dumps({"secret_id": added.pk, "client_secret": secret}))
            else:
                if options["secret_id"] is None:
                    raise CommandError("secret_id_required: say which secret with --secret-id (see list).")
                revoked = services.app_remove_secret(
                    actor=actor, app=app, secret_id=options["secret_id"], origin=services.COMMAND_LINE
                )
                self.stdout.write(
                    f"Removed secret {options['secret_id']}; {revoked['access_tokens']} access token(s) and "
                    f"{revoked['refresh_tokens']} refresh token(s) it issued stopped working."
                )
        except ValidationError as error:
            raise CommandError(_describe(error)) from None
        except PermissionDenied as error:
            raise CommandError(f"permission_denied: {error}") from None

    def _list(self, app: App) -> None:
        for secret in app_secrets(app):
            by = secret.added_by_username or "(before rotation)"
            used = f"{secret.last_used:%Y-%m-%d %H:%M}" if secret.last_used else "never"
            self.stdout.write(
                f"{secret.pk}\t{secret.masked}\tadded {secret.created:%Y-%m-%d %H:%M} by {by}\t"
                f"last used {used}\t{secret.live_tokens} live access token(s)"
            )
