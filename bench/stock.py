"""Seed the stock django-oauth-toolkit project (bench/stock_settings.py): run as
`python -m bench.stock OUT.json` with DJANGO_SETTINGS_MODULE=bench.stock_settings."""

import io
import json
import secrets
import sys
from datetime import timedelta


def main(out: str) -> None:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.utils import timezone
    from oauth2_provider.models import AccessToken, Application

    call_command("migrate", verbosity=0, stdout=io.StringIO())
    user = get_user_model().objects.create_user("stock", password=secrets.token_urlsafe(16))
    apps = {}
    for label, hashed in (("hashed", True), ("plain", False)):
        secret = secrets.token_urlsafe(24)
        app = Application.objects.create(
            name=f"stock {label}",
            user=user,
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
            client_secret=secret,  # DOT hashes it on save when hash_client_secret is on (its default)
            hash_client_secret=hashed,
        )
        apps[label] = {"client_id": app.client_id, "client_secret": secret}
    bearer = secrets.token_urlsafe(30)
    AccessToken.objects.create(
        user=user,
        application=Application.objects.get(name="stock plain"),
        token=bearer,
        expires=timezone.now() + timedelta(days=1),
        scope="read write",
    )
    from bench.settle import settle

    settle()
    with open(out, "w") as handle:
        json.dump({"apps": apps, "bearer": bearer}, handle)


if __name__ == "__main__":
    main(sys.argv[1])
