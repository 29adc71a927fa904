"""Races over real HTTP (threads against pytest-django's live server, on SQLite and on
PostgreSQL): Add App forms and register.php consents sent at once at the App limit, and one
form sent several times at once. The service-level race at the limit is
tests/apps_registry/test_concurrency.py; the form sent twice one after the other is in
tests/apps_registry/views/test_add_app.py and tests/oauth."""

from __future__ import annotations

from collections import Counter
from urllib.parse import urlencode

import pytest
import requests

from apps_registry.models import Api, App, AuditEvent
from tests.factories import AppFactory
from tests.security.helpers import CSRF, THREADS, TIMEOUT, hidden_field, live, run_together, signed_in_headers

# --- the Add App form ------------------------------------------------------------------------


def add_form(live: str, owner, headers: dict) -> tuple[str, dict]:
    url = f"{live}/accounts/{owner.pk}/apps/add/?api={Api.SYSTEMAPI}"
    page = requests.get(url, headers=headers, timeout=TIMEOUT)
    assert page.status_code == 200, page.text[:2000]
    return url, {
        "csrfmiddlewaretoken": CSRF,
        "name": "Racer",
        "homepage": "https://race.example/",
        "email": "dev@race.example",
        "redirect_uri": "https://race.example/cb",
        "credentials": hidden_field(page.text, "credentials"),
    }


@pytest.mark.slow
@live
def test_add_app_forms_sent_at_once_at_the_limit_create_exactly_the_allowed_number(
    live_server, demo, settings
):
    settings.APP_LIMIT_PER_ACCOUNT = 5
    owner = demo["organization"]
    for _ in range(4):
        AppFactory(owner=owner)
    headers = signed_in_headers(owner)
    forms = [add_form(live_server.url, owner, headers) for _ in range(THREADS)]

    def post(n: int) -> int:
        url, data = forms[n]
        data = {**data, "name": f"Racer {n}"}
        return requests.post(
            url, data=data, headers=headers, allow_redirects=False, timeout=TIMEOUT
        ).status_code

    outcomes = run_together(THREADS, post)

    # 302: added; 200: the form again, with "already owns 5 Apps" beside it.
    assert Counter(outcomes) == {302: 1, 200: THREADS - 1}, outcomes
    assert App.objects.filter(owner=owner).count() == 5
    assert AuditEvent.objects.filter(account_id=owner.pk, action="create").count() == 1


@pytest.mark.slow
@live
def test_one_add_app_form_sent_several_times_at_once_creates_one_app(live_server, demo):
    owner = demo["organization"]
    headers = signed_in_headers(owner)
    url, data = add_form(live_server.url, owner, headers)

    def post(n: int) -> int:
        return requests.post(
            url, data=data, headers=headers, allow_redirects=False, timeout=TIMEOUT
        ).status_code

    outcomes = run_together(4, post)

    # One added; the others are sent to the App it made.
    assert sorted(outcomes) == [302, 302, 302, 302], outcomes
    assert App.objects.filter(owner=owner).count() == 1


# --- the register.php consent ------------------------------------------------------------------

REGISTRATION = {
    "name": "Racer",
    "homepage": "https://race.example/",
    "email": "dev@race.example",
    "redirect_uri": "https://race.example/cb",
    "api": "systemapi",
    "state": "s",
}


def consent_page(live: str, headers: dict, name: str | None = None) -> dict:
    params = {**REGISTRATION, "name": name} if name else REGISTRATION
    page = requests.get(f"{live}/oauth/register.php?{urlencode(params)}", headers=headers, timeout=TIMEOUT)
    assert page.status_code == 200, page.text[:2000]
    return {"csrfmiddlewaretoken": CSRF, "request": hidden_field(page.text, "request"), "action": "register"}


def consent(live: str, data: dict, headers: dict) -> requests.Response:
    return requests.post(
        f"{live}/oauth/register/consent/", data=data, headers=headers, allow_redirects=False, timeout=TIMEOUT
    )


@pytest.mark.slow
@live
def test_register_php_consents_sent_at_once_at_the_limit_create_exactly_the_allowed_number(
    live_server, demo, settings
):
    settings.APP_LIMIT_PER_ACCOUNT = 5
    owner = demo["organization"]
    for _ in range(4):
        AppFactory(owner=owner)
    headers = signed_in_headers(owner)
    # Apps of different names: the same name and redirect URL would meet the twin warning
    # (409) once the first is registered, before the limit.
    pages = [consent_page(live_server.url, headers, name=f"Race App {n}") for n in range(THREADS)]

    def register(n: int) -> str:
        response = consent(live_server.url, pages[n], headers)
        location = response.headers.get("Location", "")
        assert response.status_code == 302 and location.startswith("https://race.example/cb?"), response
        return "refused" if "error=access_denied" in location else "registered"

    outcomes = run_together(THREADS, register)

    assert Counter(outcomes) == {"registered": 1, "refused": THREADS - 1}, outcomes
    assert App.objects.filter(owner=owner).count() == 5


@pytest.mark.slow
@live
def test_one_consent_page_sent_several_times_at_once_registers_one_app(live_server, demo):
    owner = demo["organization"]
    headers = signed_in_headers(owner)
    page = consent_page(live_server.url, headers)

    outcomes = run_together(4, lambda n: consent(live_server.url, page, headers).status_code)

    # One registered (302 to the App); the others: "already submitted" (409).
    assert sorted(outcomes) == [302, 409, 409, 409], outcomes
    assert App.objects.filter(owner=owner).count() == 1
