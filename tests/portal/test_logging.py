"""The log (settings.LOGGING): one line per event, at the right level, on one handler; no
django-axes chatter on a sign-in, no traceback for an unknown Host, no tokens at LOG_LEVEL=DEBUG."""

import io
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.conf import settings as django_settings
from django.test import override_settings

from portal.logging import redact_query, redact_targets

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def own_handlers(name: str) -> list[logging.Handler]:
    """The handlers a record logged on `name` reaches: pytest's own and the NullHandler a
    library adds to its top logger (oauthlib does) left out."""
    handlers: list[logging.Handler] = []
    logger: logging.Logger | None = logging.getLogger(name)
    while logger is not None:
        handlers += [
            handler
            for handler in logger.handlers
            if not type(handler).__module__.startswith("_pytest") and type(handler) is not logging.NullHandler
        ]
        logger = logger.parent if logger.propagate else None
    return handlers


@contextmanager
def console() -> Iterator[io.StringIO]:
    """What the root's console handler (the one in settings.LOGGING) writes meanwhile."""
    (handler,) = own_handlers("root")
    stream = io.StringIO()
    # Not setStream(): it flushes the previous stream, which pytest's capture may have closed.
    previous, handler.stream = handler.stream, stream
    try:
        yield stream
    finally:
        handler.stream = previous


@pytest.mark.parametrize(
    "name",
    [
        "django",
        "django.request",
        "django.security.DisallowedHost",
        "axes.handlers.database",
        "oauthlib",
        "oauth",
    ],
)
def test_every_logger_reaches_exactly_one_handler(name):
    assert len(own_handlers(name)) == 1


def test_a_log_line_is_written_once(client, demo, settings):
    settings.DEBUG = False

    with console() as output:
        assert client.get("/no-such-page/").status_code == 404

    lines = output.getvalue().splitlines()
    assert len(lines) == 1
    assert "WARNING django.request: Not Found: /no-such-page/" in lines[0]


def test_a_sign_in_logs_no_axes_lines(client, demo):
    with console() as output:
        response = client.post(LOGIN, {"username": "organization", "password": "demo"})
        client.post("/accounts/logout/")

    assert response.status_code == 302
    assert "AXES" not in output.getvalue()


def test_a_failed_sign_in_is_one_warning_and_a_lockout_one_more(client, demo):
    with console() as output:
        for _ in range(4):
            client.post(LOGIN, {"username": "organization", "password": "wrong"})
    failures = output.getvalue().splitlines()

    with console() as output:
        assert client.post(LOGIN, {"username": "organization", "password": "wrong"}).status_code == 429
    locked = output.getvalue().splitlines()

    assert len(failures) == 4
    assert all(" WARNING axes." in line and "login failure" in line for line in failures)
    # The fifth failure, the lockout, and Django's line for the 429 answer.
    assert len(locked) == 3
    (lockout,) = [line for line in locked if "Locking out" in line]
    assert " WARNING axes." in lockout
    assert " WARNING django.request: Too Many Requests: /accounts/login/" in locked[-1]
    # Axes masks the account name and the address in its lines (AXES_SENSITIVE_PARAMETERS).
    assert "organization" not in "".join(failures + locked)


@override_settings(DEBUG=False, ALLOWED_HOSTS=["portal.example.com"])
def test_an_unknown_host_is_one_warning_line_without_traceback(client, demo, caplog):
    with console() as output, caplog.at_level(logging.INFO):
        assert client.get(LOGIN, HTTP_HOST="evil.example").status_code == 400

    lines = output.getvalue().splitlines()
    assert len(lines) == 1
    assert "WARNING django.security.DisallowedHost: Invalid HTTP_HOST header: 'evil.example'" in lines[0]
    assert "Traceback" not in output.getvalue()
    (record,) = [r for r in caplog.records if r.name == "django.security.DisallowedHost"]
    assert record.levelno == logging.WARNING
    assert record.exc_info is None


def test_other_suspicious_requests_keep_their_level():
    # The filter sits on the DisallowedHost logger alone.
    assert not logging.getLogger("django.security.SuspiciousSession").filters
    assert not logging.getLogger("django.security").filters


def test_log_level_debug_keeps_oauthlib_from_logging_tokens():
    """oauthlib logs every issued token at DEBUG: with LOG_LEVEL=DEBUG it stays at INFO."""
    program = (
        "import django, logging; django.setup(); "
        "print(logging.getLogger().level, logging.getLogger('oauthlib').getEffectiveLevel(), "
        "logging.getLogger('oauthlib.oauth2.rfc6749.grant_types.client_credentials').isEnabledFor(10))"
    )
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
        "LOG_LEVEL": "debug",
    }
    result = subprocess.run(  # noqa: S603 -- this interpreter, a fixed program
        [sys.executable, "-c", program],
        cwd=django_settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.split() == [str(logging.DEBUG), str(logging.INFO), "False"]


def test_log_level_raises_the_floor_of_the_chatty_loggers_too():
    # At the default INFO, axes speaks at WARNING and up, oauthlib and Django at INFO and up.
    assert logging.getLogger("axes").level == logging.WARNING
    assert logging.getLogger("oauthlib").level == logging.INFO
    assert logging.getLogger("django").level == logging.INFO


@pytest.mark.parametrize(
    ("logged", "kept"),
    [
        (
            "GET /playground/callback/?client_secret=s&code=c&state=x HTTP/1.1",
            "GET /playground/callback/?[redacted] HTTP/1.1",
        ),
        (
            "GET /uapi/@me?accessRequestToken=t&x=1 HTTP/1.1",
            "GET /uapi/@me?accessRequestToken=[redacted]&x=1 HTTP/1.1",
        ),
        (
            "/x?client%5Fsecret=s&CODE=c&code_challenge=ok",
            "/x?client%5Fsecret=[redacted]&CODE=[redacted]&code_challenge=ok",
        ),
        (
            "https://h.example/x?refresh_token=r;token=t#f",
            "https://h.example/x?refresh_token=[redacted];token=[redacted]#f",
        ),
        (
            "https://h.example/playground/callback/?code=c",
            "https://h.example/playground/callback/?[redacted]",
        ),
        ("GET /apps/?api=unifiedapi HTTP/1.1", "GET /apps/?api=unifiedapi HTTP/1.1"),
    ],
)
def test_secret_values_are_redacted_from_any_query(logged, kept):
    assert redact_targets(logged) == kept


def test_a_bare_query_string_is_redacted_too():
    assert (
        redact_query("access_token=a&state=s&token=t") == "access_token=[redacted]&state=s&token=[redacted]"
    )
