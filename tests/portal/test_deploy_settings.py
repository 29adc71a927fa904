"""The production settings: `check --deploy` is clean (django-oauth-toolkit's RFC 9700 checks
included) and the settings that only production turns on are on."""

import json
import os
import secrets
import subprocess
import sys

from cryptography.fernet import Fernet
from django.conf import settings
from django.core.checks import run_checks
from django.test import override_settings

ROOT = settings.BASE_DIR


def production_env(**extra) -> dict[str, str]:
    """The environment of a production process: DEBUG off, throwaway keys."""
    # Nothing the test run set (DJANGO_ALLOW_ASYNC_UNSAFE for the browser tests, for one).
    prefixes = ("DJANGO_", "DEBUG", "OAUTH_", "PORTAL_", "TRUST", "SECURE_", "AXES_", "SECRET_KEY")
    env = {key: value for key, value in os.environ.items() if not key.startswith(prefixes)}
    env.update(
        DEBUG="false",
        ALLOWED_HOSTS="portal.example.com",
        OAUTH_ISSUER="https://portal.example.com",
        DATABASE_URL="",
        SECRET_KEY=secrets.token_urlsafe(50),
        APP_SECRET_KEYS=Fernet.generate_key().decode(),
        DJANGO_SETTINGS_MODULE="config.settings",
        EMAIL_URL="smtp://127.0.0.1:25",
        DEFAULT_FROM_EMAIL="portal@portal.example.com",
    )
    env.update(extra)
    return env


def test_check_deploy_is_clean_with_the_production_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=production_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_fails_when_loopback_http_is_left_on():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=production_env(OAUTH_ALLOW_LOOPBACK_HTTP="true"),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "OAUTH_ALLOW_LOOPBACK_HTTP" in result.stdout + result.stderr


def test_django_oauth_toolkits_rfc9700_checks_run_under_deploy():
    def oauth_ids() -> set[str]:
        messages = run_checks(include_deployment_checks=True)
        return {message.id for message in messages if message.id.startswith("oauth2_provider.")}

    assert oauth_ids() == set()
    relaxed = {**settings.OAUTH2_PROVIDER, "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": False}
    with override_settings(OAUTH2_PROVIDER=relaxed):
        assert oauth_ids(), "django-oauth-toolkit's deploy checks did not run"


def test_production_turns_on_https_only_cookies_hsts_and_the_ssl_redirect():
    script = (
        "import django, json; django.setup(); from django.conf import settings as s; print(json.dumps({"
        "k: str(getattr(s, k, None)) for k in ["
        "'SESSION_COOKIE_SECURE', 'SESSION_COOKIE_HTTPONLY', 'CSRF_COOKIE_SECURE', 'SECURE_SSL_REDIRECT',"
        "'SECURE_HSTS_SECONDS', 'SECURE_HSTS_INCLUDE_SUBDOMAINS', 'SECURE_PROXY_SSL_HEADER',"
        "'TRUSTED_PROXIES', 'DEBUG', 'OAUTH_ALLOW_LOOPBACK_HTTP', 'SECRET_KEY_FALLBACKS',"
        "'AXES_FAILURE_LIMIT', 'AXES_COOLOFF_TIME']}))"
    )
    result = subprocess.run(  # noqa: S603 (our own script)
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=production_env(SECRET_KEY_FALLBACKS="old-key-1,old-key-2", AXES_COOLOFF_MINUTES="30"),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values == {
        "SESSION_COOKIE_SECURE": "True",
        "SESSION_COOKIE_HTTPONLY": "True",
        "CSRF_COOKIE_SECURE": "True",
        "SECURE_SSL_REDIRECT": "True",
        "SECURE_HSTS_SECONDS": "31536000",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": "True",
        # No proxy is trusted unless named: X-Forwarded-* are anyone's headers.
        "SECURE_PROXY_SSL_HEADER": "None",
        "TRUSTED_PROXIES": "[]",
        "DEBUG": "False",
        "OAUTH_ALLOW_LOOPBACK_HTTP": "False",
        "SECRET_KEY_FALLBACKS": "['old-key-1', 'old-key-2']",
        "AXES_FAILURE_LIMIT": "5",
        "AXES_COOLOFF_TIME": "0:30:00",
    }


def test_check_deploy_warns_about_a_short_metrics_token():
    with override_settings(METRICS_TOKEN="short"):
        assert "portal.W003" in {m.id for m in run_checks(include_deployment_checks=True)}
    with override_settings(METRICS_TOKEN=secrets.token_urlsafe(32)):
        assert "portal.W003" not in {m.id for m in run_checks(include_deployment_checks=True)}


def deploy_check(**extra) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=production_env(**extra),
        capture_output=True,
        text=True,
        check=False,
    )


def test_check_deploy_is_clean_with_the_guides_trusted_proxy():
    result = deploy_check(TRUSTED_PROXIES="127.0.0.1,10.0.0.0/8,::1")
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_deploy_warns_when_every_address_is_a_trusted_proxy():
    for everyone in ("0.0.0.0/0", "::/0", "127.0.0.1,::/0"):
        result = deploy_check(TRUSTED_PROXIES=everyone)
        assert result.returncode != 0, everyone
        assert "portal.W001" in result.stdout + result.stderr


def test_check_deploy_warns_that_the_old_proxy_switches_are_gone():
    result = deploy_check(TRUST_X_FORWARDED_FOR="true")
    assert result.returncode != 0
    assert "portal.W002" in result.stdout + result.stderr
    assert "TRUST_X_FORWARDED_FOR" in result.stdout + result.stderr


def test_check_deploy_warns_while_open_registration_is_on_until_acknowledged():
    result = deploy_check(OAUTH_OPEN_REGISTRATION_ACCOUNT="open-clients")
    assert result.returncode != 0
    assert "oauth.W001" in result.stdout + result.stderr and "'open-clients'" in result.stdout + result.stderr
    acknowledged = deploy_check(
        OAUTH_OPEN_REGISTRATION_ACCOUNT="open-clients", SILENCED_SYSTEM_CHECKS="oauth.W001"
    )
    assert acknowledged.returncode == 0, acknowledged.stdout + acknowledged.stderr


def test_check_deploy_fails_when_debug_is_on():
    result = deploy_check(DEBUG="true")
    assert result.returncode != 0
    assert "security.W018" in result.stdout + result.stderr


def test_a_trusted_proxy_that_is_not_an_address_stops_the_portal():
    result = deploy_check(TRUSTED_PROXIES="nginx.internal")
    assert result.returncode != 0
    assert "TRUSTED_PROXIES: 'nginx.internal' is not an IP address or network" in result.stderr


def test_env_example_keeps_production_the_default():
    """.env.example says production is the default: it must not turn DEBUG on, and it names
    TRUSTED_PROXIES (not the switches it replaced)."""
    lines = (ROOT / ".env.example").read_text().splitlines()
    assigned = dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))
    assert assigned["DEBUG"].strip().lower() in {"false", "off", "0", "no"}
    text = (ROOT / ".env.example").read_text()
    assert "TRUSTED_PROXIES" in text
    assert "TRUST_X_FORWARDED" not in text


# --- e-mail (the notices of App changes, design §3) ------------------------------------------


def test_check_deploy_warns_when_notices_would_only_be_printed():
    result = deploy_check(EMAIL_URL="")
    assert result.returncode != 0
    assert "portal.W004" in result.stdout + result.stderr
    # Keeping them in the log is a choice the operator may make, by saying so.
    assert deploy_check(EMAIL_URL="consolemail://").returncode == 0


def test_check_deploy_warns_about_djangos_placeholder_sender():
    result = deploy_check(DEFAULT_FROM_EMAIL="")
    assert result.returncode != 0, result.stdout
    assert "portal.W005" in result.stdout + result.stderr


def mail_settings(**extra) -> dict:
    """The mail settings a production process reads from this environment."""
    code = (
        "import django, json; django.setup(); from django.conf import settings as s; print(json.dumps("
        "[s.EMAIL_BACKEND, s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_USE_TLS, s.EMAIL_USE_SSL, "
        "s.EMAIL_HOST_USER, s.EMAIL_HOST_PASSWORD, s.EMAIL_TIMEOUT, s.DEFAULT_FROM_EMAIL, s.SERVER_EMAIL]))"
    )
    result = subprocess.run(  # noqa: S603 (our own settings)
        [sys.executable, "-c", code], cwd=ROOT, env=production_env(**extra), capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_email_url_configures_djangos_mail_framework():
    smtp = "django.core.mail.backends.smtp.EmailBackend"
    assert mail_settings(EMAIL_URL="smtp+tls://notices:p%40ss@mail.example.com", EMAIL_TIMEOUT="2.5") == [
        smtp, "mail.example.com", 587, True, False, "notices", "p@ss", 2.5,
        "portal@portal.example.com", "portal@portal.example.com",
    ]  # fmt: skip
    assert mail_settings(EMAIL_URL="smtp+ssl://mail.example.com", SERVER_EMAIL="errors@portal.example.com")[
        :5
    ] + mail_settings(SERVER_EMAIL="errors@portal.example.com")[9:] == [
        smtp, "mail.example.com", 465, False, True, "errors@portal.example.com",
    ]  # fmt: skip
    unset = mail_settings(EMAIL_URL="", DEFAULT_FROM_EMAIL="")
    assert unset[0] == "django.core.mail.backends.console.EmailBackend"
    assert unset[7:] == [5.0, "webmaster@localhost", "webmaster@localhost"]


def test_an_email_url_of_an_unknown_kind_stops_the_portal():
    result = deploy_check(EMAIL_URL="smtq://mail.example.com")
    assert result.returncode != 0
    assert "EMAIL_URL: the scheme 'smtq' is not one the portal sends mail with" in result.stderr


# --- PostgreSQL: round trips per request, and PgBouncer (issue 26) -----------------------


def test_postgresql_connections_are_not_checked_before_each_request(monkeypatch):
    """No `SELECT 1` before a request's first query (CONN_HEALTH_CHECKS): a round trip on
    every request (make bench, P1, P3, P7). Persistent, without JIT compilation, and a prepared
    statement planned once (tests/apps_registry/views/test_changelist.py checks the plans)."""
    from config import environment

    monkeypatch.delenv("DATABASE_TRANSACTION_POOLING", raising=False)
    config = environment.database("postgres://portal@db.internal:5432/portal")
    assert config["CONN_HEALTH_CHECKS"] is False
    assert config["CONN_MAX_AGE"] == 60
    assert config["OPTIONS"]["options"] == "-c jit=off -c plan_cache_mode=force_generic_plan"


def test_transaction_pooling_sends_no_startup_options_and_prepares_nothing(monkeypatch):
    """Behind PgBouncer in transaction pooling mode (docs/deployment.md): PgBouncer 1.18
    refuses the `options` startup parameter, and a statement prepared on one server
    connection is unknown on the next (tests/deployment/test_pgbouncer.py runs it)."""
    from config import environment

    monkeypatch.setenv("DATABASE_TRANSACTION_POOLING", "true")
    config = environment.database("postgres://portal@pgbouncer.internal:6432/portal")
    assert "options" not in config["OPTIONS"]
    assert config["OPTIONS"]["prepare_threshold"] is None
    assert config["CONN_HEALTH_CHECKS"] is False
