"""Register an App from the command line, through the same service as every other path."""

import json

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import Account
from apps_registry import services
from apps_registry.models import Api


class Command(BaseCommand):
    help = "Register an App for an account; prints {id, client_id, client_secret} as JSON."

    def add_arguments(self, parser):
        parser.add_argument("--account", required=True, help="Username of the owning account.")
        parser.add_argument("--api", required=True, choices=Api.values)
        parser.add_argument("--name", required=True)
        parser.add_argument("--homepage", required=True)
        parser.add_argument("--email", required=True)
        parser.add_argument("--redirect-uri", required=True)
        parser.add_argument("--trusted", action="store_true")
        parser.add_argument(
            "--resource-server",
            action="store_true",
            help="May introspect the tokens of other Apps in its Administrator's tree "
            "(an Administrator's own App only: the command acts as the owning account).",
        )
        parser.add_argument("--description", default="")
        parser.add_argument("--phone", default="")
        parser.add_argument("--image-uri", default="")

    def handle(self, *args, **options):
        owner = Account.objects.filter(username=options["account"]).first()
        if owner is None:
            raise CommandError(f"account_not_found: no account named {options['account']!r}.")
        try:
            # The command line acts as the owning account itself; the service generates the key
            # (and another if it is taken). No twin question: a script has nobody to ask.
            app = services.app_add(
                actor=owner,
                owner=owner,
                api=options["api"],
                name=options["name"],
                homepage=options["homepage"],
                email=options["email"],
                redirect_uri=options["redirect_uri"],
                trusted=options["trusted"],
                resource_server=options["resource_server"],
                description=options["description"],
                phone=options["phone"],
                image_uri=options["image_uri"],
                origin=services.COMMAND_LINE,
            ).app
        except ValidationError as error:
            raise CommandError(_describe(error)) from None
        except PermissionDenied as error:
            raise CommandError(f"permission_denied: {error}") from None
        self.stdout.write(
            json.dumps({"id": app.pk, "client_id": app.client_id, "client_secret": app.client_secret})
        )


def _describe(error: ValidationError) -> str:
    """One line per refused rule: `code: message`, with the field name for field errors."""
    if hasattr(error, "error_dict"):
        lines = [
            f"{field_error.code or 'invalid'}: {field}: {' '.join(field_error.messages)}"
            for field, errors in error.error_dict.items()
            for field_error in errors
        ]
    else:
        lines = [f"{item.code or 'invalid'}: {' '.join(item.messages)}" for item in error.error_list]
    return "\n".join(lines)
