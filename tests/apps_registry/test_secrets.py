import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection

from apps_registry import crypto
from apps_registry.models import App
from config.settings_test import TEST_APP_SECRET_KEYS
from tests.factories import AppFactory

KEY_A, KEY_B = TEST_APP_SECRET_KEYS
PROJECT = Path(__file__).resolve().parents[2]


def raw_rows(app: App) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM apps_registry_app WHERE id = %s", [app.pk])
        rows = [cursor.fetchone()]
        cursor.execute("SELECT * FROM apps_registry_appsecret WHERE app_id = %s", [app.pk])
        return rows + cursor.fetchall()


def raw_ciphertext(app: App) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT encrypted_secret FROM apps_registry_appsecret WHERE app_id = %s", [app.pk])
        return cursor.fetchone()[0]


def test_the_database_never_holds_the_secret(demo):
    app = AppFactory(owner=demo["user"])
    secret = app.client_secret
    assert len(secret) == 32
    rows = raw_rows(app)
    assert len(rows) == 2  # the App and its one secret
    assert not any(secret in str(value) for row in rows for value in row)
    assert App.objects.get(pk=app.pk).client_secret == secret


def test_a_second_secret_is_encrypted_too_and_a_removed_one_forgotten(demo):
    from apps_registry import services

    app = AppFactory(owner=demo["user"])
    first = app.client_secret
    app, second = services.app_add_secret(actor=demo["user"], app=app, origin=services.COMMAND_LINE)
    rows = raw_rows(app)
    assert len(rows) == 3
    assert not any(value in str(cell) for row in rows for cell in row for value in (first, second))

    old = app.live_secrets[0]
    services.app_remove_secret(actor=demo["user"], app=app, secret_id=old.pk, origin=services.COMMAND_LINE)

    with connection.cursor() as cursor:
        cursor.execute("SELECT encrypted_secret FROM apps_registry_appsecret WHERE id = %s", [old.pk])
        assert cursor.fetchone() == ("",)  # nothing left that would decrypt to it


def test_the_same_secret_encrypts_differently_each_time(demo):
    first = AppFactory(owner=demo["user"], client_secret="x" * 32)
    second = AppFactory(owner=demo["user"], client_secret="x" * 32)
    assert raw_ciphertext(first) != raw_ciphertext(second)


def test_check_secret_accepts_only_the_exact_secret(demo):
    app = App.objects.get(pk=AppFactory(owner=demo["user"]).pk)
    secret = app.client_secret
    assert app.check_secret(secret)
    for wrong in (
        "",
        secret[:-1],
        secret + "x",
        secret.upper() if secret != secret.upper() else secret.lower(),
    ):
        assert not app.check_secret(wrong)


def test_rotating_keys_keeps_every_app_usable(demo, settings):
    settings.APP_SECRET_KEYS = [KEY_A]
    apps = [AppFactory(owner=demo["user"]) for _ in range(3)]
    secrets = {app.pk: app.client_secret for app in apps}
    before = {app.pk: raw_ciphertext(app) for app in apps}

    settings.APP_SECRET_KEYS = [KEY_B, KEY_A]  # new key first; the old one still decrypts
    assert all(App.objects.get(pk=pk).check_secret(secret) for pk, secret in secrets.items())
    out = io.StringIO()
    call_command("rotate_app_secrets", stdout=out)
    assert "Re-encrypted 3 App secret(s)" in out.getvalue()  # one secret each
    assert all(raw_ciphertext(app) != before[app.pk] for app in apps)

    settings.APP_SECRET_KEYS = [KEY_B]  # the old key is gone
    assert all(App.objects.get(pk=pk).check_secret(secret) for pk, secret in secrets.items())

    settings.APP_SECRET_KEYS = [KEY_A]  # and it no longer opens anything
    with pytest.raises(ImproperlyConfigured, match="rotate_app_secrets"):
        App.objects.get(pk=apps[0].pk).client_secret  # noqa: B018


def test_a_secret_presented_again_is_not_decrypted_again(demo, monkeypatch):
    """A stored secret is decrypted once per process (its keyed digest remembered), whichever
    App object presents it; the right secret still matches and a wrong one still does not."""
    app = AppFactory(owner=demo["user"])
    secret = app.client_secret
    decrypted = []
    monkeypatch.setattr(
        crypto,
        "decrypt_secret",
        lambda ciphertext, real=crypto.decrypt_secret: decrypted.append(ciphertext) or real(ciphertext),
    )
    for _ in range(3):
        fresh = App.objects.get(pk=app.pk)
        assert fresh.check_secret(secret)
        assert not fresh.check_secret(secret[:-1] + ("A" if secret[-1] != "A" else "B"))
    assert decrypted == [raw_ciphertext(app)]


def test_a_key_removed_too_soon_is_named_even_for_a_secret_that_matched_before(demo, settings):
    """What is remembered of a secret is remembered with the keys that opened it: once they
    are gone, the secret is refused with the operator's mistake named, as before it matched."""
    settings.APP_SECRET_KEYS = [KEY_A]
    app = AppFactory(owner=demo["user"])
    secret = app.client_secret
    assert App.objects.get(pk=app.pk).check_secret(secret)
    settings.APP_SECRET_KEYS = [KEY_B]
    with pytest.raises(ImproperlyConfigured, match="rotate_app_secrets"):
        App.objects.get(pk=app.pk).check_secret(secret)
    settings.APP_SECRET_KEYS = [KEY_B, KEY_A]
    assert App.objects.get(pk=app.pk).check_secret(secret)


def _import_settings(**env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "APP_SECRET_KEYS", "SECRET_KEY"}}
    environment |= {"DJANGO_SETTINGS_MODULE": "config.settings", "DATABASE_URL": "", **env}
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(len(settings.APP_SECRET_KEYS))",
        ],
        cwd=PROJECT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_production_refuses_to_start_without_an_app_secret_key():
    result = _import_settings(DEBUG="false", SECRET_KEY="k" * 60, ALLOWED_HOSTS="portal.example")
    assert result.returncode != 0
    assert "APP_SECRET_KEYS is required when DEBUG is off" in result.stderr


def test_a_malformed_app_secret_key_is_a_startup_error():
    result = _import_settings(DEBUG="false", SECRET_KEY="k" * 60, APP_SECRET_KEYS=f"{KEY_A},not-a-key")
    assert result.returncode != 0
    assert "APP_SECRET_KEYS entry 2 is not a Fernet key" in result.stderr


def test_development_derives_a_key_from_the_secret_key():
    result = _import_settings(DEBUG="true")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "1"
