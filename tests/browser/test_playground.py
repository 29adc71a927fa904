"""The developer playground in Chromium: from the playground through register.php (Grant
access, Register) to the callback, then the code exchanged, /uapi/@me answering, the token
revoked and /uapi/@me refusing it.

`SCREENSHOTS=1 pytest tests/browser/test_playground.py` also saves the playground screenshots
shown in the README into docs/screenshots/.
"""

import re

import pytest
from playwright.sync_api import expect

from apps_registry.models import App
from tests.chromium import screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_developer_registers_an_app_gets_a_token_uses_it_and_revokes_it(page, demo, live_server):
    sign_in(page, "organization")
    page.get_by_role("link", name="Developer playground").first.click()
    expect(page.get_by_role("heading", name="Developer playground")).to_be_visible()
    expect(page.get_by_label("redirect_uri")).to_have_value(f"{live_server.url}/playground/callback/")
    state = page.get_by_label("state").input_value()
    page.get_by_label("name", exact=True).fill("My Playground App")
    expect(page.locator("#register-link")).to_contain_text("name=My+Playground+App")
    screenshot(page, "playground-start.png", full_page=True)

    page.get_by_role("button", name="Start registration (GET)").click()
    # The real register.php consent page, with the current session.
    expect(page.locator("#app-name")).to_have_text("My Playground App")
    page.get_by_label("Grant access").check()
    page.get_by_role("button", name="Register").click()

    expect(page.get_by_role("heading", name="What the App received")).to_be_visible()
    expect(page.locator("#state-check")).to_contain_text("state matches")
    app = App.objects.get(name="My Playground App")
    expect(page.locator('[data-param="client_id"]')).to_have_text(app.client_id)
    expect(page.locator('[data-param="client_secret"]')).to_have_text(app.client_secret)
    expect(page.locator('[data-param="state"]')).to_have_text(state)
    expect(page.locator('[data-param="code"]')).not_to_be_empty()
    screenshot(page, "playground-callback.png", full_page=True)

    page.get_by_role("button", name="Exchange the code at /oauth/token.php").click()
    expect(page.locator("#step-status")).to_have_text("HTTP 200")
    expect(page.locator("#step-request")).to_contain_text("POST /oauth/token.php HTTP/1.1")
    expect(page.locator("#step-response")).to_contain_text('"access_token"')
    expect(page.locator("#step-curl")).to_contain_text("curl -sS -i")

    page.get_by_role("button", name="Call /uapi/@me with Authorization: Bearer").click()
    expect(page.locator("#step-status")).to_have_text("HTTP 200")
    expect(page.locator("#step-account")).to_contain_text("organization")
    screenshot(page, "playground-step.png", full_page=True)

    page.get_by_role("button", name="Revoke the access token").click()
    expect(page.locator("#step-status")).to_have_text("HTTP 200")
    page.get_by_role("button", name="Call /uapi/@me with accessRequestToken").click()
    expect(page.locator("#step-status")).to_have_text("HTTP 401")
    expect(page.locator("#step-response")).to_contain_text(re.compile(r'"code": "invalid_token"'))
    expect(page.locator("#step-account")).to_have_count(0)
