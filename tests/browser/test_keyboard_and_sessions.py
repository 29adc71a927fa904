"""What got in the way in a walkthrough (issue 15, items 1-5), in Chromium: a session that ends
inside htmx, OK pressed twice, where the focus goes, and dialogs that could lose or destroy
something by a stray key."""

import re

import pytest
from django.contrib.sessions.models import Session
from playwright.sync_api import expect

from apps_registry.models import Api, App
from tests.chromium import sign_in
from tests.factories import AppFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in_again(page, username: str) -> None:
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("demo")
    page.get_by_role("button", name="Sign in").click()


def fill_required(form, name: str) -> None:
    form.get_by_label("Name").fill(name)
    form.get_by_label("Homepage").fill("https://twice.example/")
    form.get_by_label("Admin email").fill("dev@twice.example")
    form.get_by_label("Redirect URL").fill("https://twice.example/cb")


def test_a_session_that_ends_in_the_modal_signs_in_full_page_and_keeps_what_was_typed(page, demo):
    owner = demo["organization"]
    sign_in(page, "organization")
    page.goto(f"/accounts/{owner.pk}/apps/")
    page.get_by_role("link", name="Add App").click()
    dialog = page.locator("#modal")
    dialog.get_by_label("Name").fill("Typed Before Expiry")
    dialog.get_by_label("Description").fill("Still here after signing in.")
    Session.objects.all().delete()  # the session ends on the server

    dialog.get_by_role("button", name="Save", exact=True).click()

    # The sign-in is a page of its own, not drawn inside the modal.
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    sign_in_again(page, "organization")
    expect(page).to_have_url(re.compile(rf"/accounts/{owner.pk}/apps/add/\?api=systemapi$"))
    expect(page.get_by_label("Name")).to_have_value("Typed Before Expiry")
    expect(page.get_by_label("Description")).to_have_value("Still here after signing in.")
    assert not App.objects.exists()


def test_a_session_that_ends_while_sorting_returns_to_the_sorted_list(page, demo):
    owner = demo["organization"]
    AppFactory(owner=owner, name="Alpha")
    sign_in(page, "organization")
    page.goto(f"/accounts/{owner.pk}/apps/")
    Session.objects.all().delete()

    page.get_by_role("link", name="Created").click()

    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))
    expect(page.locator("#changelist")).to_have_count(0)
    sign_in_again(page, "organization")
    expect(page).to_have_url(re.compile(rf"/accounts/{owner.pk}/apps/\?o=created$"))
    expect(page.get_by_role("link", name="Alpha")).to_be_visible()


def test_double_clicking_ok_adds_one_app(page, demo):
    owner = demo["user"]
    sign_in(page, "user")
    page.goto(f"/accounts/{owner.pk}/apps/")
    page.get_by_role("link", name="Add App").click()
    dialog = page.locator("#modal")
    fill_required(dialog, "Clicked Twice")

    dialog.get_by_role("button", name="Save", exact=True).dblclick()

    expect(dialog).to_be_hidden()
    expect(page.locator("#changelist").get_by_role("link", name="Clicked Twice")).to_be_visible()
    expect(page.locator("#app-count")).to_have_text("1 App")
    assert App.objects.filter(owner=owner).count() == 1


def test_without_javascript_back_then_ok_shows_the_app_made_and_adds_no_second(chromium, live_server, demo):
    context = chromium.new_context(base_url=live_server.url, java_script_enabled=False)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        sign_in(page, "user")
        page.goto(f"/accounts/{demo['user'].pk}/apps/add/?api=systemapi")
        fill_required(page.locator("main"), "Sent Twice")
        page.get_by_role("button", name="Save", exact=True).click()
        expect(page.get_by_role("alert")).to_contain_text("The App “Sent Twice” was added. Its App ID/key")

        page.go_back()
        page.get_by_role("button", name="Save", exact=True).click()

        # Chromium reloads the form (no-store) with new credentials and the typed fields: the
        # twin is named instead of added.
        app = App.objects.get(owner=demo["user"])
        warning = page.locator("#twin-warning")
        expect(warning).to_contain_text("already has an App named “Sent Twice” with this redirect URL")
        warning.get_by_role("link", name="Sent Twice").click()
        expect(page).to_have_url(re.compile(rf"/apps/{app.pk}/$"))
        assert App.objects.filter(owner=demo["user"]).count() == 1
    finally:
        context.close()


def test_focus_stays_on_the_control_that_acted_and_the_count_is_announced(page, demo, settings):
    owner = demo["organization"]
    AppFactory(owner=owner, name="Unified One", api=Api.UNIFIEDAPI)
    for n in range(51):
        AppFactory(owner=owner, name=f"System {n:02}")
    sign_in(page, "organization")
    page.goto(f"/accounts/{owner.pk}/apps/")
    announce = page.locator("#announce")

    page.get_by_role("link", name="Created").focus()
    page.keyboard.press("Enter")
    expect(page.locator("th[aria-sort=ascending]")).to_contain_text("Created")
    expect(page.get_by_role("link", name="Created")).to_be_focused()
    expect(announce).to_have_text("51 Apps")

    page.get_by_role("link", name="Next").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("Page 2 of 2")).to_be_visible()
    # Next is gone on the last page: the focus goes to the count, not the top of the page.
    expect(page.locator("#app-count")).to_be_focused()

    page.get_by_role("link", name="UnifiedAPI", exact=True).focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("link", name="Unified One")).to_be_visible()
    expect(page.get_by_role("link", name="UnifiedAPI", exact=True)).to_be_focused()
    expect(announce).to_have_text("1 App")

    # Closing a dialog gives the focus back to the button that opened it.
    page.get_by_role("link", name="Add App").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#modal")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#modal")).to_be_hidden()
    expect(page.get_by_role("link", name="Add App")).to_be_focused()


def test_remove_and_regenerate_dialogs_focus_cancel(page, demo):
    app = AppFactory(owner=demo["user"], name="Precious")
    sign_in(page, "user")
    page.goto(f"/apps/{app.pk}/")
    dialog = page.locator("#modal")

    for opener in ("Remove…", "Regenerate…"):
        page.get_by_role("link", name=opener).click()
        expect(dialog).to_be_visible()
        expect(dialog.get_by_role("link", name="Cancel")).to_be_focused()
        page.keyboard.press("Enter")  # a stray Enter cancels
        expect(dialog).to_be_hidden()
        expect(page.get_by_role("link", name=opener)).to_be_focused()

    app.refresh_from_db()
    assert App.objects.filter(pk=app.pk).exists()


def test_closing_a_changed_add_form_asks_before_discarding_it(page, demo):
    sign_in(page, "user")
    page.goto(f"/accounts/{demo['user'].pk}/apps/")
    dialog = page.locator("#modal")

    # Unchanged: Escape closes without a question.
    page.get_by_role("link", name="Add App").click()
    expect(dialog).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    page.get_by_role("link", name="Add App").click()
    dialog.get_by_label("Name").fill("Half Typed")
    # The portal's own question, whose buttons say what they do (never the browser's confirm()).
    page.on("dialog", lambda native: pytest.fail(f"the browser's own dialog: {native.message}"))
    question = page.get_by_role("dialog", name="Discard what you typed?")
    dialog.get_by_role("button", name="Cancel").click()
    expect(question).to_be_visible()
    expect(question.get_by_role("button", name="Keep editing")).to_be_focused()
    question.get_by_role("button", name="Keep editing").click()
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Name")).to_have_value("Half Typed")

    page.keyboard.press("Escape")
    question.get_by_role("button", name="Discard changes").click()
    expect(dialog).to_be_hidden()
