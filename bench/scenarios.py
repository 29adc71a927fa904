"""The rows `make bench` measures under load on the small data, in table order: each a
Scenario (bench/load.py) with its request, the server it goes to and the answer it expects."""

from __future__ import annotations

import base64
import secrets
from urllib.parse import urlencode

from bench.config import APPS, WORKERS
from bench.load import Scenario


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def generate_wrong(secret: str) -> str:
    """A secret of the same shape that is not the App's."""
    wrong = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    assert wrong != secret
    return wrong


def build_scenarios(seeded, stock: dict) -> list[Scenario]:
    """Every row measured on the small data, in table order."""
    token_body = urlencode({"grant_type": "client_credentials"})
    trusted = seeded.trusted
    # What a signed-in browser sends with every page: its session and the CSRF cookie it got
    # with the sign-in page (without it each page would make and set a new one, as only a
    # first visit does).
    browser = {"Cookie": f"sessionid={seeded.sessions[0]}; csrftoken={secrets.token_hex(16)}"}
    return [
        Scenario("B", "bare view (the yardstick)", "portal", "/bench/bare"),
        Scenario("B0", "bare view, no middleware (B0's own project, same gunicorn)", "bare", "/bench/bare"),
        Scenario(
            "P1", "client_credentials at /oauth/token.php", "portal", "/oauth/token.php", "POST",
            {"Authorization": basic(trusted.client_id, seeded.client_secret)}, token_body,
        ),
        Scenario(
            "P2", "the same with a wrong secret", "portal", "/oauth/token.php", "POST",
            {"Authorization": basic(trusted.client_id, generate_wrong(seeded.client_secret))},
            token_body, expect=401,
        ),
        Scenario(
            "P3", "GET /uapi/@me with a valid token", "portal", "/uapi/@me",
            headers={"Authorization": f"Bearer {seeded.bearer}"},
        ),
        Scenario(
            "P4", f"SystemAPI tab, {APPS} Apps, page 1", "portal",
            f"/accounts/{seeded.many.pk}/apps/?api=systemapi",
            headers=browser,
        ),
        Scenario(
            "R4", f"Django admin's changelist of the same {APPS} Apps, 50 a page", "portal",
            f"/admin/apps_registry/app/?owner__id__exact={seeded.many.pk}",
            headers=browser,
        ),
        Scenario(
            "P7", "introspection by a resource server, another App's valid token", "portal",
            "/oauth/introspect", "POST",
            {"Authorization": basic(seeded.resource_server.client_id, seeded.resource_secret)},
            urlencode({"token": seeded.bearer}), answer={"active": True, "client_id": trusted.client_id},
        ),
        Scenario(
            "R1", "stock DOT client_credentials, default secret hashing", "stock", "/o/token/", "POST",
            {"Authorization": basic(*stock["apps"]["hashed"].values())},
            token_body, connections=WORKERS,
        ),
        Scenario(
            "R2", "stock DOT client_credentials, hash_client_secret=False", "stock", "/o/token/", "POST",
            {"Authorization": basic(*stock["apps"]["plain"].values())},
            token_body,
        ),
        Scenario(
            "R3", "stock DOT bearer-protected view", "stock", "/o/protected/",
            headers={"Authorization": f"Bearer {stock['bearer']}"},
        ),
    ]  # fmt: skip
