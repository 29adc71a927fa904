"""Sign-in throttling in Chromium: the message a locked-out user sees on the portal's sign-in
page and on a consent page, and the consent page that still works once the lock ends."""

from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from axes.models import AccessAttempt
from django.utils import timezone
from playwright.sync_api import expect

from apps_registry.models import App

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LOCKED = "Too many failed sign-ins for this account from your address. Try again in 15 minutes."
CALLBACK = "https://locked-app.example/cb"


def try_password(page, password: str, button: str):
    page.get_by_label("Username").fill("organization")
    page.get_by_label("Password").fill(password)
    return page.get_by_role("button", name=button)


def test_locked_out_user_is_told_why_on_the_sign_in_page(page, demo):
    page.goto("/accounts/login/")
    for _ in range(5):
        try_password(page, "wrong", "Sign in").click()
    expect(page.get_by_text(LOCKED)).to_be_visible()
    with page.expect_response("**/accounts/login/") as answer:
        try_password(page, "demo", "Sign in").click()
    assert answer.value.status == 429
    expect(page.get_by_text(LOCKED)).to_be_visible()
    expect(page.get_by_text("Signed in as")).to_have_count(0)


def test_consent_page_keeps_its_request_through_a_lockout(page, demo):
    callbacks: list[str] = []
    page.route(f"{CALLBACK}**", lambda route: (callbacks.append(route.request.url), route.fulfill(body="ok")))
    params = {
        "name": "Locked App",
        "homepage": "https://locked-app.example/",
        "email": "dev@locked-app.example",
        "redirect_uri": CALLBACK,
        "state": "st-9",
    }
    page.goto("/oauth/register.php?" + urlencode(params))
    for _ in range(5):
        try_password(page, "wrong", "Register").click()
    expect(page.get_by_text(LOCKED)).to_be_visible()
    try_password(page, "demo", "Register").click()
    expect(page.get_by_text(LOCKED)).to_be_visible()
    expect(page.locator("#app-name")).to_have_text("Locked App")
    assert not App.objects.exists()
    assert callbacks == []

    # The lock ends; the same page registers the App.
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    try_password(page, "demo", "Register").click()
    page.wait_for_url(f"{CALLBACK}**")
    received = parse_qs(urlsplit(callbacks[0]).query)
    assert received["state"] == ["st-9"]
    assert received["client_id"] == [App.objects.get(name="Locked App").client_id]
