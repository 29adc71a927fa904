"""What the races over a live server share: threads released at once, each with its own
database connection, and a signed-in account's session and CSRF cookies."""

from __future__ import annotations

import re
import threading
from html import unescape

import pytest
from django.db import connection
from django.test import Client

# Threads against the live server: each thread has its own database connection.
live = pytest.mark.django_db(transaction=True)

THREADS = 12
TIMEOUT = 60
CSRF = "c" * 32  # an unmasked CSRF secret: the cookie and the form field carry the same one


def run_together(count: int, work) -> list:
    """Run work(n) in `count` threads released at once; every outcome (or exception)."""
    barrier = threading.Barrier(count)
    outcomes: list = [None] * count

    def run(n: int) -> None:
        try:
            barrier.wait(timeout=TIMEOUT)
            outcomes[n] = work(n)
        except Exception as error:
            outcomes[n] = f"{type(error).__name__}: {error}"
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=TIMEOUT * 2)
    return outcomes


def signed_in_headers(account) -> dict:
    """Cookies of a signed-in session (made by the test client) and a CSRF pair."""
    client = Client()
    client.force_login(account)
    return {"Cookie": f"sessionid={client.cookies['sessionid'].value}; csrftoken={CSRF}"}


def hidden_field(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html) or re.search(
        rf'value="([^"]*)"[^>]*name="{name}"', html
    )
    assert match, html[:3000]
    return unescape(match.group(1))
