"""An account's Authorized Apps in Chromium (design §8): the list from the user menu, Revoke
access of one App in the modal and of the selected ones on a page, at desktop and phone width,
with no axe violation.

`SCREENSHOTS=1 pytest tests/browser/test_authorized_apps.py` also saves the screenshot shown
in the README into docs/screenshots/.
"""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from apps_registry.models import Api, AppAuthorization
from apps_registry.services import app_authorization_grant
from tests.chromium import screenshot, sign_in
from tests.factories import AppFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def authorized(demo, make_tokens):
    """Three Apps of other accounts that the demo user authorized, with live tokens."""
    user = demo["user"]
    apps = [
        AppFactory(
            owner=demo["organization2"],
            api=Api.UNIFIEDAPI,
            name="Calendar Sync",
            homepage="https://calendar.example/",
            email="dev@calendar.example",
            image_uri="https://images.example/calendar.png",
        ),
        AppFactory(
            owner=demo["organization"],
            api=Api.SYSTEMAPI,
            name="CRM Connector",
            homepage="https://crm.example/",
            email="support@crm.example",
        ),
        AppFactory(
            owner=demo["organization2"],
            api=Api.UNIFIEDAPI,
            name="Helpdesk Link",
            homepage="https://helpdesk.example/",
            email="apps@helpdesk.example",
        ),
    ]
    for count, app in enumerate(apps, start=1):
        app_authorization_grant(app=app, account=user)
        make_tokens(app, count, user=user)
    AppAuthorization.objects.filter(app=apps[0]).update(last_used=timezone.now())
    return apps


def test_user_revokes_one_app_in_the_modal_and_two_selected_on_a_page(page, demo, authorized):
    # The image that fails to load becomes the neutral square, as in the App list.
    page.route("https://images.example/**", lambda route: route.abort())
    sign_in(page, "user")
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Authorized Apps").click()
    expect(page.get_by_role("heading", name="Apps authorized to act for user")).to_be_visible()
    expect(page.get_by_role("link", name="Authorized Apps")).to_have_attribute("aria-current", "page")
    expect(page.locator("tbody tr")).to_have_count(3)
    expect(page.locator(".app-image-broken")).to_have_count(1)
    # organization2 owns two of them: out of the user's reach, never named.
    expect(page.locator("main")).not_to_contain_text("organization2")
    screenshot(page, "authorized-apps.png")

    page.get_by_role("link", name="Revoke access… of CRM Connector").click()
    dialog = page.locator("#modal")
    expect(dialog.get_by_role("heading", name="Revoke the access of “CRM Connector”?")).to_be_visible()
    expect(dialog).to_contain_text("2 live access tokens stop working")
    dialog.get_by_role("button", name="Revoke access").click()
    expect(page.get_by_role("alert")).to_contain_text("Revoked the access of “CRM Connector” to user.")
    expect(page.locator("tbody tr")).to_have_count(2)

    page.get_by_label("Select Calendar Sync").check()
    page.get_by_label("Select Helpdesk Link").check()
    page.get_by_role("button", name="Revoke access of the selected Apps…").click()
    expect(page.get_by_role("heading", name="Revoke the access of 2 Apps?")).to_be_visible()
    page.get_by_role("button", name="Revoke access").click()
    expect(page.locator("#no-authorized-apps")).to_be_visible()
    assert not AppAuthorization.objects.exists()


def test_without_javascript_revoke_is_a_page_and_a_post(chromium, live_server, demo, authorized):
    context = chromium.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    sign_in(page, "user")
    page.goto(f"/accounts/{demo['user'].pk}/authorized-apps/")

    page.get_by_role("link", name="Revoke access… of Calendar Sync").click()
    expect(page.get_by_role("heading", name="Revoke the access of “Calendar Sync”?")).to_be_visible()
    page.get_by_role("button", name="Revoke access").click()

    expect(page.get_by_role("alert")).to_contain_text("Revoked the access of “Calendar Sync”")
    assert not AppAuthorization.objects.filter(app=authorized[0]).exists()
    context.close()


def test_at_phone_width_the_list_fits(page, demo, authorized):
    page.set_viewport_size({"width": 375, "height": 812})
    sign_in(page, "user")
    page.goto(f"/accounts/{demo['user'].pk}/authorized-apps/")

    expect(page.locator("tbody tr")).to_have_count(3)
    fits = page.evaluate(
        "document.scrollingElement.scrollWidth <= innerWidth && "
        "[...document.querySelectorAll('.table-responsive')].every(e => e.scrollWidth <= e.clientWidth)"
    )
    assert fits
    expect(page.get_by_role("link", name="Revoke access… of Calendar Sync")).to_be_visible()
