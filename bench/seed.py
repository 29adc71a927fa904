"""The benchmark's data, written in bulk into its own fresh database (design §3 limits apply:
1000 Apps on one account, 999 on another for the parallel creates)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.utils import timezone
from oauth2_provider.models import set_token_value

from accounts.models import Account, Kind
from apps_registry.crypto import encrypt_secret, generate_credential
from apps_registry.models import AccessToken, Api, App, AppSecret, RefreshToken
from apps_registry.services import COMMAND_LINE, app_create

BATCH = 5000


@dataclass
class Seeded:
    admin: Account
    many: Account  # 1000 SystemAPI Apps: the changelist (P4)
    race: Account  # 999 SystemAPI Apps: the parallel creates (P6)
    trusted: App  # a trusted UnifiedAPI App: client_credentials (P1, P2) and /uapi/@me (P3)
    client_secret: str
    bearer: str
    target: App  # 100k + 100k tokens: regenerate (P5)
    bystander: App  # another App's tokens, which regenerate must not touch
    sessions: list[str]  # signed-in Administrator sessions


def _account(username: str, kind: str, parent: Account | None) -> Account:
    return get_user_model().objects.create_user(
        username,
        secrets.token_urlsafe(16),
        kind=kind,
        parent=parent,
        name=username.replace("-", " ").title(),
        email=f"{username}@bench.example",
    )


def _bulk_apps(owner: Account, count: int) -> None:
    secret = encrypt_secret(generate_credential())
    apps = App.objects.bulk_create(
        [
            App(
                owner=owner,
                api=Api.SYSTEMAPI,
                name=f"Bench App {i:04d}",
                homepage="https://app.example/",
                email="developer@app.example",
                redirect_uri="https://app.example/callback",
                client_id=generate_credential(),
            )
            for i in range(count)
        ],
        batch_size=500,
    )
    AppSecret.objects.bulk_create(
        [AppSecret(app=app, encrypted_secret=secret) for app in apps], batch_size=500
    )


def fill_tokens(app: App, count: int) -> None:
    """`count` live access tokens of the App, each with its refresh token, in bulk, minted with
    its newest secret as the token endpoint would."""
    secret = app.secrets.live().order_by("created", "pk").last()
    expires = timezone.now() + timedelta(hours=1)
    prefix = secrets.token_hex(8)
    for start in range(0, count, BATCH):
        access = []
        for i in range(start, min(count, start + BATCH)):
            token = AccessToken(
                user_id=app.owner_id, application=app, expires=expires, scope=app.api, secret=secret
            )
            set_token_value(token, f"a{prefix}{i}")
            access.append(token)
        AccessToken.objects.bulk_create(access)
        refresh = []
        for i, token in zip(range(start, start + len(access)), access, strict=True):
            item = RefreshToken(user_id=app.owner_id, application=app, access_token=token, secret=secret)
            set_token_value(item, f"r{prefix}{i}")
            refresh.append(item)
        RefreshToken.objects.bulk_create(refresh)


def signed_in_session(account: Account) -> str:
    client = Client()
    client.force_login(account)
    return client.cookies["sessionid"].value


def seed(*, apps: int = 1000, tokens: int = 100_000, sessions: int = 17) -> Seeded:
    admin = _account("bench-admin", Kind.ADMINISTRATOR, None)
    many = _account("bench-many", Kind.ORGANIZATION, admin)
    race = _account("bench-race", Kind.ORGANIZATION, admin)
    api_owner = _account("bench-api", Kind.ORGANIZATION, admin)
    _bulk_apps(many, apps)
    _bulk_apps(race, apps - 1)

    def make(name: str, api: str, trusted: bool = False, secret: str | None = None) -> App:
        return app_create(
            actor=admin,
            owner=api_owner,
            api=api,
            name=name,
            homepage="https://app.example/",
            email="developer@app.example",
            redirect_uri="https://app.example/callback",
            trusted=trusted,
            client_secret=secret,
            origin=COMMAND_LINE,
        )

    client_secret = generate_credential()
    trusted = make("Trusted resource client", Api.UNIFIEDAPI, trusted=True, secret=client_secret)
    bearer = secrets.token_urlsafe(32)
    token = AccessToken(
        user_id=api_owner.pk,
        application=trusted,
        expires=timezone.now() + timedelta(days=1),
        scope=Api.UNIFIEDAPI,
        secret=trusted.live_secrets[-1],  # as minted at the token endpoint: /uapi/@me checks it
    )
    set_token_value(token, bearer)
    token.save()
    target = make("Regenerate me", Api.SYSTEMAPI)
    fill_tokens(target, tokens)
    bystander = make("Bystander", Api.SYSTEMAPI)
    fill_tokens(bystander, 1000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return Seeded(
        admin=admin,
        many=many,
        race=race,
        trusted=trusted,
        client_secret=client_secret,
        bearer=bearer,
        target=target,
        bystander=bystander,
        sessions=[signed_in_session(admin) for _ in range(sessions)],
    )
