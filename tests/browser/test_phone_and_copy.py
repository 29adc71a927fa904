"""At phone width (375 px): the side menu is a Menu button, and the App list and the audit
trail fit without sideways scrolling; copy buttons put keys, secrets and URLs on the clipboard."""

import re

import pytest
from playwright.sync_api import expect

from apps_registry.models import Api
from tests.chromium import screenshot, sign_in
from tests.factories import AppFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Neither the page nor a table inside it (.table-responsive) scrolls sideways.
FITS = """document.scrollingElement.scrollWidth <= window.innerWidth &&
  [...document.querySelectorAll('.table-responsive')].every(e => e.scrollWidth <= e.clientWidth)"""
WIDTHS = """[document.scrollingElement.scrollWidth, innerWidth,
  [...document.querySelectorAll('.table-responsive')].map(e => [e.scrollWidth, e.clientWidth])]"""


def test_at_phone_width_the_menu_collapses_and_the_list_and_audit_trail_fit(page, demo):
    owner = demo["admin"]
    for i in range(3):
        app = AppFactory(
            owner=owner,
            name=f"A rather long App name number {i} for a small screen",
            description="Keeps the calendars of the whole team in step, every hour of the day and night.",
            image_uri="https://images.example/logo.png",
            trusted=True,
        )
    AppFactory(owner=owner, api=Api.UNIFIEDAPI, name="Unified")
    page.route("https://images.example/**", lambda route: route.abort())
    sign_in(page, "admin")
    page.goto(f"/apps/{app.pk}/")
    page.get_by_label("Name").fill("Renamed to show a longer line in the audit trail details")
    page.get_by_role("button", name="Save", exact=True).click()
    page.set_viewport_size({"width": 375, "height": 812})

    page.goto(f"/accounts/{owner.pk}/apps/")
    expect(page.locator("#changelist")).to_be_visible()
    assert page.evaluate(FITS), page.evaluate(WIDTHS)
    # The key is under the name, on one line (it never breaks mid-string).
    key = page.locator(".key-under-name").first
    expect(key).to_be_visible()
    assert key.evaluate("e => getComputedStyle(e).whiteSpace") == "nowrap"
    box = key.bounding_box()
    assert box["height"] < 30
    screenshot(page, "app-list-phone.png", full_page=True)

    # The side menu is behind the Menu button; it shows where you are.
    menu = page.get_by_role("navigation", name="Main menu")
    expect(menu.get_by_role("link", name="SystemAPI & UnifiedAPI")).to_be_hidden()
    page.get_by_role("button", name="Menu").click()
    current = menu.get_by_role("link", name="SystemAPI & UnifiedAPI")
    expect(current).to_be_visible()
    expect(current).to_have_attribute("aria-current", "page")
    page.get_by_role("button", name="Close the menu").click()
    expect(current).to_be_hidden()
    expect(page.get_by_role("button", name="Menu")).to_be_focused()

    page.goto(f"/accounts/{owner.pk}/audit/")
    expect(page.get_by_role("cell", name=re.compile("Renamed to show"))).to_be_visible()
    assert page.evaluate(FITS), page.evaluate(WIDTHS)
    screenshot(page, "audit-trail-phone.png", full_page=True)

    page.set_viewport_size({"width": 1280, "height": 900})
    page.reload()
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    expect(menu.get_by_role("link", name="SystemAPI & UnifiedAPI")).to_be_visible()


def test_copy_buttons_put_the_key_secret_and_urls_on_the_clipboard_and_say_so(chromium, live_server, demo):
    context = chromium.new_context(
        base_url=live_server.url, permissions=["clipboard-read", "clipboard-write"]
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        app = AppFactory(owner=demo["user"], name="Copy Me")
        sign_in(page, "user")
        page.goto(f"/apps/{app.pk}/")

        page.get_by_role("button", name="Copy the App ID/key").click()
        expect(page.locator("#copy-status")).to_have_text("Copied the App ID/key.")
        assert page.evaluate("navigator.clipboard.readText()") == app.client_id
        page.get_by_role("button", name="Copy Token URL").click()
        expect(page.locator("#copy-status")).to_have_text("Copied Token URL.")
        assert page.evaluate("navigator.clipboard.readText()") == f"{live_server.url}/oauth/token.php"
        page.get_by_role("button", name="Copy Authorization URL").click()
        assert f"client_id={app.client_id}" in page.evaluate("navigator.clipboard.readText()")

        page.get_by_role("button", name="Reveal").click()
        page.get_by_role("button", name="Copy the App secret").click()
        expect(page.locator("#copy-status")).to_have_text("Copied the App secret.")
        assert page.evaluate("navigator.clipboard.readText()") == app.client_secret
    finally:
        context.close()
