"""An operator's mistakes named where they are made (issue 27, finding 10): a malformed
DATABASE_URL or EMAIL_URL stops `manage.py` and gunicorn with one line that names the variable
and shows what to write (never the value: it may hold a password), and smtps:// is TLS from
the start."""

from __future__ import annotations

import subprocess
import sys

import pytest

from config import environment
from tests.portal.test_deploy_settings import ROOT, mail_settings, production_env
from tests.served import GUNICORN, free_port

MISTAKES = [
    ("DATABASE_URL", "postgress://portal:hunter2@db.example/portal", "postgres://"),
    ("DATABASE_URL", "portal:hunter2@db.example/portal", "postgres://"),
    ("DATABASE_URL", "postgres://portal:hunter2@db.example:54x2/portal", "postgres://"),
    ("DATABASE_URL", "postgres://portal:hunter2@db.example", "postgres://"),
    ("EMAIL_URL", "smtp+starttls://portal:hunter2@mail.example:587", "smtps://"),
    ("EMAIL_URL", "mail.example:25", "smtps://"),
    ("EMAIL_URL", "smtp://portal:hunter2@mail.example:2x5", "smtps://"),
]


def one_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    return lines[0]


@pytest.mark.parametrize(("name", "value", "example"), MISTAKES)
def test_a_malformed_url_stops_manage_py_with_one_line_naming_the_variable(name, value, example):
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=production_env(**{name: value}),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    line = one_line(result.stderr)
    assert line.startswith(f"{name}: ") and example in line, line
    assert "hunter2" not in line


@pytest.mark.parametrize(("name", "value", "example"), [MISTAKES[0], MISTAKES[4]])
def test_a_malformed_url_stops_gunicorn_before_any_worker_with_one_line(name, value, example):
    result = subprocess.run(  # noqa: S603 (gunicorn from our own venv)
        [*GUNICORN, "--bind", f"127.0.0.1:{free_port()}"],
        cwd=ROOT,
        env=production_env(**{name: value}),
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode != 0
    line = one_line(result.stdout + result.stderr)
    assert line.startswith(f"{name}: ") and example in line, line


def test_smtps_is_tls_from_the_start():
    """smtps:// on port 465 is implicit TLS (RFC 8314); django-environ took it for STARTTLS, so
    the notices failed only when sent. smtp+tls:// stays STARTTLS."""
    config = environment.email("smtps://portal:password@mail.example:465")
    assert config["EMAIL_USE_SSL"] is True and not config.get("EMAIL_USE_TLS")
    assert config["EMAIL_HOST"] == "mail.example" and config["EMAIL_PORT"] == 465
    starttls = environment.email("smtp+tls://portal:password@mail.example:587")
    assert starttls["EMAIL_USE_TLS"] is True and not starttls.get("EMAIL_USE_SSL")


def test_smtps_reaches_the_settings_as_tls_from_the_start():
    _backend, host, port, use_tls, use_ssl = mail_settings(EMAIL_URL="smtps://portal:password@mail.example")[
        :5
    ]
    assert (host, port, use_tls, use_ssl) == ("mail.example", 465, False, True)
