"""Forms that keep what was typed and put the focus somewhere (issue 28, items 0, 2, 4, 8, 9,
10), in Chromium: the Edit pop-up asks before Add a secret… or Regenerate… replaces it and the
confirmation's Cancel returns to it; the portal's own "Discard changes" / "Keep editing"
question; the focus after each action; the header at phone width; /admin/ refused."""

import re

import pytest
from playwright.sync_api import expect

from apps_registry.models import App, AppAuthorization, AppSecret
from apps_registry.services import app_authorization_grant
from tests.chromium import sign_in
from tests.factories import AppFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def open_edit_popup(page, app) -> None:
    page.goto(f"/accounts/{app.owner_id}/apps/")
    page.locator("#changelist").get_by_role("link", name=app.name).click()
    expect(
        page.locator("#modal").get_by_role("heading", name=re.compile(f"Edit “{app.name}”"))
    ).to_be_visible()


def test_typed_edits_are_never_thrown_away_unasked_in_the_edit_popup(page, demo):
    app = AppFactory(owner=demo["user"], name="Precious", description="As stored")
    sign_in(page, "user")
    open_edit_popup(page, app)
    dialog = page.locator("#modal")
    question = page.locator("#discard-question")
    dialog.get_by_label("Description").fill("Typed, not saved")

    # Add a secret… asks first; "Keep editing" leaves the form as it was, focus on the link.
    dialog.get_by_role("link", name="Add a secret…").click()
    expect(question).to_be_visible()
    expect(question.get_by_role("button", name="Keep editing")).to_be_focused()
    question.get_by_role("button", name="Keep editing").click()
    expect(question).to_be_hidden()
    expect(dialog.get_by_label("Description")).to_have_value("Typed, not saved")
    expect(dialog.get_by_role("link", name="Add a secret…")).to_be_focused()

    # Regenerate…: asked; "Discard changes" goes on to the confirmation, whose Cancel returns
    # to the form (typed text and all), not closing everything.
    dialog.get_by_role("link", name="Regenerate…").click()
    question.get_by_role("button", name="Discard changes").click()
    expect(dialog.get_by_role("heading", name=re.compile("Regenerate the secret"))).to_be_visible()
    dialog.get_by_role("link", name="Cancel").click()
    expect(dialog.get_by_role("heading", name=re.compile(f"Edit “{app.name}”"))).to_be_visible()
    expect(dialog.get_by_label("Description")).to_have_value("Typed, not saved")
    expect(dialog.get_by_role("link", name="Regenerate…")).to_be_focused()

    # The same for Add a secret…, and Escape on its confirmation also returns to the form.
    dialog.get_by_role("link", name="Add a secret…").click()
    question.get_by_role("button", name="Discard changes").click()
    expect(dialog.get_by_role("heading", name=re.compile("Add a second secret"))).to_be_visible()
    expect(dialog.get_by_role("button", name="Add a secret")).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog.get_by_label("Description")).to_have_value("Typed, not saved")

    # Escape on the changed form: the portal's question (no browser confirm()); Escape on the
    # question keeps editing, "Discard changes" closes.
    page.on("dialog", lambda native: pytest.fail(f"the browser's own dialog: {native.message}"))
    dialog.get_by_label("Description").focus()
    page.keyboard.press("Escape")
    expect(question).to_be_visible()
    page.keyboard.press("Escape")
    expect(question).to_be_hidden()
    expect(dialog).to_be_visible()
    # A link that leaves the pop-up asks too.
    dialog.get_by_role("link", name="Open the App's page").click()
    question.get_by_role("button", name="Keep editing").click()
    expect(dialog.get_by_label("Description")).to_have_value("Typed, not saved")
    dialog.get_by_role("link", name="Cancel").click()
    question.get_by_role("button", name="Discard changes").click()
    expect(dialog).to_be_hidden()

    app.refresh_from_db()
    assert app.description == "As stored"
    assert AppSecret.objects.live().filter(app=app).count() == 1


def test_the_three_app_forms_have_the_same_save_buttons_and_cancel_stays_on_their_row(page, demo):
    app = AppFactory(owner=demo["organization"], name="Buttons")
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, "organization")
    expected = ["Save", "Save and continue editing", "Save and add another", "Cancel"]

    def labels(container) -> list[str]:
        return [
            text.strip()
            for text in container.locator("button[type=submit], a.btn-secondary").all_inner_texts()
        ]

    page.goto(f"/accounts/{app.owner_id}/apps/")
    page.get_by_role("link", name="Add App").click()
    expect(page.locator("#modal .modal-footer")).to_be_visible()
    assert labels(page.locator("#modal .modal-footer")) == expected
    page.keyboard.press("Escape")
    expect(page.locator("#modal")).to_be_hidden()
    open_edit_popup(page, app)
    assert labels(page.locator("#modal .modal-footer")) == expected
    for width in (1280, 1024):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"/apps/{app.pk}/")
        row = page.locator(".save-buttons")
        assert labels(row) == expected
        tops = row.locator("> *").evaluate_all("elements => elements.map(e => e.getBoundingClientRect().top)")
        assert len(set(tops)) == 1, f"the save buttons take {len(set(tops))} rows at {width} px"


def test_focus_goes_to_the_error_summary_or_the_message_after_each_action(page, demo, make_tokens):
    user = demo["user"]
    app = AppFactory(owner=user, name="Focus App")
    sign_in(page, "user")

    # An invalid Create token on Initial access tokens: an error summary, focused.
    page.goto(f"/accounts/{user.pk}/initial-access-tokens/")
    page.get_by_label("Name").fill("")
    page.get_by_role("button", name="Create token").click()
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.locator("#error-summary")).to_contain_text("Please correct")

    # An invalid Save on the full App page.
    page.goto(f"/apps/{app.pk}/")
    page.get_by_label("Name").fill("")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#error-summary")).to_be_focused()

    # Reveal in the Edit pop-up: the secret shown in clear.
    open_edit_popup(page, app)
    page.locator("#modal").get_by_role("button", name="Reveal").click()
    expect(page.locator("#modal #client-secret")).to_have_value(app.client_secret)
    expect(page.locator("#modal #client-secret")).to_be_focused()
    page.keyboard.press("Escape")

    # Revoke access on Authorized Apps: the message that says so.
    other = AppFactory(owner=demo["organization"], name="Granted App")
    app_authorization_grant(app=other, account=user)
    make_tokens(other, 1, user=user)
    page.goto(f"/accounts/{user.pk}/authorized-apps/")
    page.get_by_role("link", name="Revoke access… of Granted App").click()
    page.locator("#modal").get_by_role("button", name="Revoke access").click()
    message = page.locator("#messages > .alert")
    expect(message).to_contain_text("Revoked the access of “Granted App”")
    expect(message).to_be_focused()
    assert not AppAuthorization.objects.exists()


def test_add_child_account_shows_the_portals_errors_and_has_cancel(page, demo):
    parent = demo["organization"]
    sign_in(page, "organization")
    page.goto(f"/accounts/{parent.pk}/add-child/")
    page.get_by_label("Username").fill("new child")
    page.get_by_role("button", name="Add account").click()  # novalidate: the server answers
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(page.locator("#id_email.is-invalid")).to_be_visible()
    page.get_by_role("link", name="Cancel").click()
    expect(page).to_have_url(re.compile(rf"/accounts/{parent.pk}/$"))


def test_at_phone_width_the_header_is_one_row_and_the_side_menu_a_named_nav(page, demo):
    page.set_viewport_size({"width": 375, "height": 740})
    sign_in(page, "organization")
    header = page.locator("header.navbar")
    height = header.evaluate("e => e.getBoundingClientRect().height")
    rows = header.evaluate(
        "e => [...e.children].filter(c => c.offsetParent)"
        ".map(c => [c.getBoundingClientRect().top, c.getBoundingClientRect().bottom])"
    )
    print(f"header at 375 px: {height:.0f} of 740 px; children {rows}")
    assert max(top for top, _ in rows) < min(bottom for _, bottom in rows)  # one row
    assert height <= 70
    expect(header.get_by_role("button", name="Sign out")).to_be_visible()
    expect(header).to_contain_text("organization")
    assert page.evaluate("document.scrollingElement.scrollWidth <= innerWidth")
    # The side menu: a <section> (a region, or Bootstrap's dialog at phone width) named by its
    # title, no aria-labelledby on an element with no role, holding the nav "Main menu".
    side = page.locator("#side-menu")
    assert side.evaluate("e => e.tagName") == "SECTION"
    expect(side.locator("nav[aria-label='Main menu']")).to_have_count(1)
    page.get_by_role("button", name="Menu").click()
    menu = page.get_by_role("dialog", name="Menu")
    expect(
        menu.get_by_role("navigation", name="Main menu").get_by_role("link", name="Authorized Apps")
    ).to_be_visible()


def test_admin_refuses_an_account_that_may_not_use_it_with_the_portals_403(page, demo):
    sign_in(page, "user")
    response = page.goto("/admin/")
    assert response.status == 403
    expect(page.get_by_role("heading", name="Forbidden (403)")).to_be_visible()
    expect(page.get_by_label("Password")).to_have_count(0)


def test_register_php_back_then_register_again_makes_one_app(page, live_server, demo):
    from urllib.parse import urlencode

    callback = "https://fake-app.example/cb"
    page.route(
        f"{callback}**",
        lambda route: route.fulfill(status=200, content_type="text/html", body="<h1>Back at the App</h1>"),
    )
    params = {
        "name": "Twice App",
        "homepage": "https://fake-app.example/",
        "email": "dev@fake-app.example",
        "redirect_uri": callback,
        "state": "st-1",
    }
    sign_in(page, "organization")
    page.goto(f"/oauth/register.php?{urlencode(params)}")
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("heading", name="Back at the App")).to_be_visible()

    page.go_back()
    expect(page.get_by_role("button", name="Register")).to_be_visible()
    page.get_by_role("button", name="Register").click()
    warning = page.locator("#twin-warning")
    expect(warning).to_contain_text("already has an App named “Twice App” with this redirect URL")
    assert App.objects.filter(name="Twice App").count() == 1
    made = App.objects.get(name="Twice App")
    expect(warning.get_by_role("link", name="Twice App")).to_have_attribute("href", made.get_absolute_url())
