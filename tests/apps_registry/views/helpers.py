"""What the App management pages' tests share: a snapshot of what a refused action
must leave as it was, and Apps (with tokens and grants) made in bulk."""

from datetime import timedelta

from django.utils import timezone

from apps_registry.models import AccessToken, Api, App, AppAuthorization, AppSecret, AuditEvent, RefreshToken
from tests.factories import AppFactory


def snapshot(app: App) -> dict:
    """What a refused action must leave as it was."""
    app.refresh_from_db()
    return {
        "fields": {
            field: getattr(app, field) for field in ("name", "homepage", "redirect_uri", "trusted", "enabled")
        },
        "secrets": list(app.secrets.values_list("pk", "encrypted_secret", "removed")),
        "tokens": AccessToken.objects.filter(application=app).count(),
        "refresh": RefreshToken.objects.filter(application=app).count(),
        "audit": AuditEvent.objects.filter(app=app).count(),
    }


def make_apps(owner, count: int) -> None:
    """`count` SystemAPI Apps in one INSERT, and their secrets in another (encrypted once,
    shared: enough here)."""
    template = AppFactory.build(owner=owner)
    apps = App.objects.bulk_create(
        [
            App(
                owner=owner,
                api=Api.SYSTEMAPI,
                name=f"Bulk {i:04d}",
                homepage=template.homepage,
                email=template.email,
                redirect_uri=template.redirect_uri,
                image_uri="https://img.example/logo.png" if i % 2 else "",
            )
            for i in range(count)
        ],
        batch_size=500,
    )
    secret = template.live_secrets[0].encrypted_secret
    AppSecret.objects.bulk_create([AppSecret(app=app, encrypted_secret=secret) for app in apps])


def give_tokens_and_grants(owner, account) -> None:
    """A live access token of `account` and its grant for each App of `owner` that has none: the
    list's counts (live tokens, authorized accounts) then have something to count on every row."""
    apps = list(
        App.objects.filter(owner=owner).exclude(authorizations__account=account).values_list("pk", "api")
    )
    expires = timezone.now() + timedelta(hours=1)
    AccessToken.objects.bulk_create(
        [
            AccessToken(user=account, application_id=pk, token=f"count-{pk}", expires=expires)
            for pk, _ in apps
        ],
        batch_size=500,
    )
    AppAuthorization.objects.bulk_create(
        [AppAuthorization(app_id=pk, account=account, api=api) for pk, api in apps], batch_size=500
    )
