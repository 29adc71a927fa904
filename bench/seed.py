"""The benchmark's data, written in bulk into its own fresh database (design §3 limits apply:
1000 Apps on one account, 999 on another for the parallel creates), and `grow`, which adds the
large data set (S) by SQL that generates the rows."""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.test import Client
from django.utils import timezone
from oauth2_provider.models import set_token_value

from accounts.models import Account, Kind
from apps_registry.crypto import encrypt_secret, generate_credential
from apps_registry.models import AccessToken, Api, App, AppAuthorization, AppSecret, RefreshToken
from apps_registry.services import COMMAND_LINE, app_create
from bench.config import GROWN_ACCOUNTS, GROWN_APPS_PER_ACCOUNT, GROWN_TOKENS_PER_APP
from bench.settle import settle
from bench.settle import statement as settle_statement

BATCH = 5000


@dataclass
class Seeded:
    admin: Account
    many: Account  # 1000 SystemAPI Apps: the changelist (P4)
    race: Account  # 999 SystemAPI Apps: the parallel creates (P6)
    trusted: App  # a trusted UnifiedAPI App: client_credentials (P1, P2) and /uapi/@me (P3)
    client_secret: str
    bearer: str  # a token of `trusted`: /uapi/@me (P3) and introspection (P7)
    resource_server: App  # a resource server in the same Administrator's tree: introspection (P7)
    resource_secret: str
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
        # The owner's grant to its App: a refresh token stands on one (migration 0013).
        AppAuthorization.objects.get_or_create(
            app_id=app.pk, account_id=app.owner_id, defaults={"api": app.api}
        )
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

    def make(
        name: str, api: str, trusted: bool = False, secret: str | None = None, resource_server: bool = False
    ) -> App:
        return app_create(
            actor=admin,
            owner=api_owner,
            api=api,
            name=name,
            homepage="https://app.example/",
            email="developer@app.example",
            redirect_uri="https://app.example/callback",
            trusted=trusted,
            resource_server=resource_server,
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
    resource_secret = generate_credential()
    resource_server = make("Resource server", Api.UNIFIEDAPI, secret=resource_secret, resource_server=True)
    target = make("Regenerate me", Api.SYSTEMAPI)
    fill_tokens(target, tokens)
    bystander = make("Bystander", Api.SYSTEMAPI)
    fill_tokens(bystander, 1000)
    settle()
    return Seeded(
        admin=admin,
        many=many,
        race=race,
        trusted=trusted,
        client_secret=client_secret,
        bearer=bearer,
        resource_server=resource_server,
        resource_secret=resource_secret,
        target=target,
        bystander=bystander,
        sessions=[signed_in_session(admin) for _ in range(sessions)],
    )


# --- the large data set (S) --------------------------------------------------------------------

GROWN_PREFIX = "bench-s-"  # the usernames of the accounts `grow` adds


@dataclass
class Grown:
    accounts: int
    apps: int
    live_tokens: int
    expired_tokens: int
    seconds: dict[str, float] = field(default_factory=dict)  # per step, in the order run

    @property
    def total_seconds(self) -> float:
        return sum(self.seconds.values())


def _series(vendor: str) -> str:
    """A relation `k` of one column `n`, 1..%s: the rows a generating INSERT multiplies by."""
    if vendor == "postgresql":
        return "generate_series(1, %s) AS k(n)"
    return (
        "(WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM k WHERE n < %s) SELECT n FROM k) AS k"
    )


def _random_hex(vendor: str) -> str:
    """32 random hex digits per row: a unique App ID/key of the generated shape's length."""
    if vendor == "postgresql":
        return "replace(gen_random_uuid()::text, '-', '')"
    return "lower(hex(randomblob(16)))"


def _sha256_hex(vendor: str, value: str) -> str:
    """The SQL for sha256(value) in hex, as the token_checksum column holds it. SQLite has no
    SHA-256: `grow` lends it Python's, on its own connection."""
    if vendor == "postgresql":
        return f"encode(sha256(convert_to({value}, 'UTF8')), 'hex')"
    return f"bench_sha256({value})"


def _insert_select(model, template, computed: dict[str, str], source: str, params: list) -> int:
    """INSERT INTO the model's table SELECT ... FROM `source`: the fields named in `computed`
    are SQL expressions over `source`, every other column is the template instance's value as
    the ORM would save it (its defaults included), so a column added later needs nothing here."""
    columns, values, constants = [], [], []
    for model_field in model._meta.concrete_fields:
        if model_field.primary_key:
            continue
        columns.append(connection.ops.quote_name(model_field.column))
        if model_field.name in computed:
            values.append(computed[model_field.name])
        else:
            values.append("%s")
            value = model_field.pre_save(template, add=True)
            constants.append(model_field.get_db_prep_save(value, connection))
    table = connection.ops.quote_name(model._meta.db_table)
    sql = f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(values)} FROM {source}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [*constants, *params])
        return cursor.rowcount


def _add_accounts(admin: Account, count: int) -> None:
    Account.objects.bulk_create(
        [
            Account(
                username=f"{GROWN_PREFIX}{i:04d}",
                kind=Kind.ORGANIZATION,
                parent=admin,
                name=f"Bench S {i:04d}",
                email=f"{GROWN_PREFIX}{i:04d}@bench.example",
                password=make_password(None),  # unusable: nobody signs in as these
            )
            for i in range(count)
        ],
        batch_size=500,
    )


def _sources(vendor: str) -> dict[str, str]:
    """What the generating INSERTs select from: the grown accounts times the series, their Apps,
    and their Apps with each App's live secret times the series."""
    accounts, apps, app_secrets = (model._meta.db_table for model in (Account, App, AppSecret))
    grown = "a.username LIKE %s"
    return {
        "apps per account": f"{accounts} a CROSS JOIN {_series(vendor)} WHERE {grown}",
        "apps": f"{apps} app JOIN {accounts} a ON a.id = app.owner_id WHERE {grown}",
        "tokens per app": (
            f"{apps} app JOIN {accounts} a ON a.id = app.owner_id"
            f" JOIN {app_secrets} secret ON secret.app_id = app.id AND secret.removed IS NULL"
            f" CROSS JOIN {_series(vendor)} WHERE {grown}"
        ),
    }


def _add_apps(vendor: str) -> int:
    """GROWN_APPS_PER_ACCOUNT SystemAPI Apps per grown account, each with one live secret (the
    same ciphertext for all: nobody authenticates as them)."""
    sources, like = _sources(vendor), f"{GROWN_PREFIX}%"
    template = App(
        api=Api.SYSTEMAPI,
        name="",
        homepage="https://app.example/",
        email="developer@app.example",
        redirect_uri="https://app.example/callback",
    )
    apps = _insert_select(
        App,
        template,
        {"owner": "a.id", "name": "'Bench S App ' || k.n", "client_id": _random_hex(vendor)},
        sources["apps per account"],
        [GROWN_APPS_PER_ACCOUNT, like],
    )
    secret = AppSecret(encrypted_secret=encrypt_secret(generate_credential()))
    _insert_select(AppSecret, secret, {"app": "app.id"}, sources["apps"], [like])
    return apps


def _add_tokens(vendor: str, expires, mark: str) -> int:
    """GROWN_TOKENS_PER_APP access tokens per grown App, minted with its live secret, acting
    for its owner, all expiring at `expires`; each value unique (a random prefix, the App, a
    number) and its checksum the SHA-256 the token endpoint would store."""
    value = f"'{mark}{secrets.token_hex(16)}' || app.id || '.' || k.n"
    return _insert_select(
        AccessToken,
        AccessToken(expires=expires, scope=Api.SYSTEMAPI),
        {
            "token": value,
            "token_checksum": _sha256_hex(vendor, value),
            "application": "app.id",
            "user": "app.owner_id",
            "secret": "secret.id",
        },
        _sources(vendor)["tokens per app"],
        [GROWN_TOKENS_PER_APP, f"{GROWN_PREFIX}%"],
    )


def grow(admin: Account, *, scale: float = 1.0) -> Grown:
    """The S data set, added to the seeded database: accounts in the admin's tree (the P4 and
    P6 accounts keep their Apps), 100 SystemAPI Apps each with one live secret, and per App 10
    expired then 10 live access tokens (no refresh tokens: the expired ones are what
    `purge_expired` deletes). The rows come from INSERT ... SELECT over a generated series,
    through the tokens' insert triggers (migrations 0005 and 0009), one statement (and so one
    transaction) per step; each step is timed with its commit. settle() after (bench/settle.py)."""
    vendor = connection.vendor
    count = max(1, round(GROWN_ACCOUNTS * scale))
    if vendor == "sqlite":
        connection.ensure_connection()
        connection.connection.create_function(
            "bench_sha256", 1, lambda value: hashlib.sha256(value.encode()).hexdigest(), deterministic=True
        )
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size = -262144")  # 256 MiB: the token indexes grow to ~300 MB
    steps: dict[str, float] = {}

    def timed(step: str, work):
        started = time.perf_counter()
        result = work()
        steps[step] = time.perf_counter() - started
        return result

    now = timezone.now()
    timed("accounts", lambda: _add_accounts(admin, count))
    apps = timed("Apps and their secrets", lambda: _add_apps(vendor))
    expired = timed("expired tokens", lambda: _add_tokens(vendor, now - timedelta(days=1), "e"))
    live = timed("live tokens", lambda: _add_tokens(vendor, now + timedelta(days=1), "l"))
    timed(settle_statement(), settle)
    return Grown(accounts=count, apps=apps, live_tokens=live, expired_tokens=expired, seconds=steps)
