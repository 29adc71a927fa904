"""What the in-process tests share besides fixtures: the demo personas' reach, request
builders for the OAuth endpoints through the test client, readers of the portal's pages, and
the account forms of the portal and the Django admin. What the tests over a live server
share is in live_session.py (a browser-like session, the consent pages), served.py (the
portal served by gunicorn, with TLS) and chromium.py (Playwright pages)."""

from __future__ import annotations

import base64
import hashlib
import re
from contextlib import contextmanager
from html import unescape
from urllib.parse import parse_qs, parse_qsl, urlsplit

from django.contrib.messages import get_messages
from django.urls import reverse

from accounts.models import Account
from apps_registry.models import Api

DEMO_PERSONAS = ["admin", "provider", "organization", "user", "organization2", "user2"]

# design §2: each demo persona reaches itself and everything below it, nothing else.
REACH = {
    "admin": {"admin", "provider", "organization", "user", "organization2", "user2"},
    "provider": {"provider", "organization", "user"},
    "organization": {"organization", "user"},
    "user": {"user"},
    "organization2": {"organization2", "user2"},
    "user2": {"user2"},
}


PAIRS = [(actor, target) for actor in REACH for target in REACH]

TOKEN_URL = "/oauth/token.php"
REDIRECT = "https://app.example/callback"


HTMX = {"HX-Request": "true"}


# --- OAuth requests -----------------------------------------------------------------------


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def cc_token(client, app) -> str:
    """A client_credentials access token for the trusted `app` (Django's test client)."""
    response = client.post(
        TOKEN_URL,
        {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=basic(app.client_id, app.client_secret),
    )
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


def query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query, keep_blank_values=True)


def query_pairs(url: str) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(url).query, keep_blank_values=True)


def get_code(client, app, user, **extra) -> str:
    """Sign `user` in and allow `app` on the consent page (or, when the user authorized the App
    before, take the code authorize.php answers at once); return the authorization code."""
    client.force_login(user)
    params = {"response_type": "code", "client_id": app.client_id, "redirect_uri": app.redirect_uri, **extra}
    page = client.get("/oauth/authorize.php", params)
    if page.status_code == 302 and "code" in query(page["Location"]):
        return query(page["Location"])["code"][0]
    assert page.status_code == 200, page.content
    response = client.post("/oauth/authorize.php", {"request": page.context["blob"], "action": "allow"})
    assert response.status_code == 302, response.content
    return query(response["Location"])["code"][0]


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


# --- Portal pages, as the test client sees them ----------------------------------------------


def text(response) -> str:
    return unescape(response.content.decode())


def plain(response) -> str:
    """The page's text without tags, whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", text(response)).split())


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def form_data(response) -> dict:
    """The values of the Add App form as the page rendered them (hidden credentials included)."""
    form = response.context["form"]
    return {
        "name": "Calendar Sync",
        "description": "Keeps calendars in step",
        "homepage": "https://calendar.example/",
        "image_uri": "https://calendar.example/logo.png",
        "email": "dev@calendar.example",
        "phone": "+1 555 0100",
        "trusted": "on",
        "redirect_uri": "https://calendar.example/oauth/callback",
        "credentials": form["credentials"].value(),
    }


def add_url(account, api=Api.SYSTEMAPI) -> str:
    return reverse("apps_registry:add", args=[account.pk]) + f"?api={api}"


def list_url(account, api=Api.SYSTEMAPI) -> str:
    return reverse("apps_registry:list", args=[account.pk]) + f"?api={api}"


# --- Accounts: the portal's Add child account form and the Django admin's forms ----------------

PASSWORD = "Correct-horse-battery-9"


def child_form(kind: str, username: str = "newchild", **overrides) -> dict[str, str]:
    data = {
        "kind": kind,
        "username": username,
        "name": "New Child Ltd",
        "email": "owner@newchild.example",
        "phone": "+1 555 0100",
        "password": PASSWORD,
        "password_again": PASSWORD,
    }
    data.update(overrides)
    return data


CHANGELIST = "admin:accounts_account_changelist"
ADD = "admin:accounts_account_add"
CHANGE = "admin:accounts_account_change"


def admin_add_form(parent: Account, kind: str, **overrides) -> dict[str, str]:
    data = {
        "parent": str(parent.pk),
        "kind": kind,
        "username": "adminadded",
        "password": PASSWORD,
        "name": "Added In Admin",
        "email": "added@admin.example",
        "phone": "",
    }
    data.update(overrides)
    return data


def secrets_inline(app, remove: int | None = None) -> dict:
    """The change form's secrets inline as the admin page sends it (Remove ticked on `remove`)."""
    secrets = list(app.secrets.live().order_by("created", "pk"))
    data = {
        "secrets-TOTAL_FORMS": str(len(secrets)),
        "secrets-INITIAL_FORMS": str(len(secrets)),
        "secrets-MIN_NUM_FORMS": "0",
        "secrets-MAX_NUM_FORMS": "0",
    }
    for n, secret in enumerate(secrets):
        data[f"secrets-{n}-id"] = str(secret.pk)
        data[f"secrets-{n}-app"] = str(app.pk)
        if secret.pk == remove:
            data[f"secrets-{n}-DELETE"] = "on"
    return data


@contextmanager
def delivered():
    """Run the block, then deliver what the outbox holds, as the worker would (deliver_outbox)."""
    yield
    deliver_outbox()


def deliver_outbox() -> list:
    """Send what the outbox holds now, as `manage.py db_worker --batch` would, inside the test's
    transaction (the command itself closes the connection between tasks, which a test
    transaction cannot survive): each task that is due, through the task's own `call`, marked
    as the worker marks it. Returns what each task returned."""
    from django_tasks_db.models import DBTaskResult

    returned = []
    while (row := DBTaskResult.objects.ready().first()) is not None:
        row.claim("tests")
        result = row.task_result
        try:
            value = row.task.call(*result.args, **result.kwargs)
        except Exception as error:
            row.set_failed(error)
            raise
        row.set_successful(value)
        returned.append(value)
    return returned


@contextmanager
def grant_while_made(app, user):
    """Refresh tokens made by hand (not by the token endpoint) need the account's grant to the
    App, or the database refuses them (migration 0013). Within the block the grant stands; after
    it, only if it stood before, so a test's grants are the ones it made."""
    from apps_registry.models import AppAuthorization

    made = AppAuthorization.objects.get_or_create(
        app_id=app.pk, account_id=user.pk, defaults={"api": app.api}
    )[1]
    try:
        yield
    finally:
        if made:
            AppAuthorization.objects.filter(app_id=app.pk, account_id=user.pk).delete()
