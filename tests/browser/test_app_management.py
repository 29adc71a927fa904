"""The App management pages in Chromium: the Add App modal, reveal, regenerate, disable, remove
(design §4), and the same without JavaScript.

`SCREENSHOTS=1 pytest tests/browser/test_app_management.py` also saves the screenshots shown
in the README into docs/screenshots/.
"""

import re

import pytest
from playwright.sync_api import expect

from apps_registry.models import Api, App
from tests.chromium import screenshot, sign_in
from tests.factories import AppFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def fill_app_form(dialog, redirect_uri: str) -> None:
    dialog.get_by_label("Name").fill("Calendar Sync")
    dialog.get_by_label("Description").fill("Keeps the team's calendars in step.")
    dialog.get_by_label("Homepage").fill("https://calendar.example/")
    dialog.get_by_label("Admin email").fill("dev@calendar.example")
    dialog.get_by_label("Admin phone").fill("+1 555 0100")
    dialog.get_by_label("App is trusted").check()
    dialog.get_by_label("Redirect URL").fill(redirect_uri)


def test_organization_adds_reveals_regenerates_disables_and_removes_an_app(page, demo):
    owner = demo["organization"]
    for name in ("Billing Bridge", "CRM Connector", "Helpdesk Link"):
        AppFactory(owner=owner, name=name, api=Api.SYSTEMAPI)
    sign_in(page, "organization")
    page.get_by_role("link", name="SystemAPI & UnifiedAPI").first.click()
    expect(page.get_by_role("heading", name="SystemAPI & UnifiedAPI Apps of organization")).to_be_visible()

    # Add App opens the modal; an http redirect URL is refused inside it.
    page.get_by_role("link", name="Add App").click()
    dialog = page.locator("#modal")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading", name="Add a SystemAPI App to organization")).to_be_visible()
    shown_key = dialog.locator("#generated-client-id").input_value()
    shown_secret = dialog.locator("#generated-client-secret").input_value()
    fill_app_form(dialog, "http://calendar.example/oauth/callback")
    dialog.get_by_role("button", name="Save", exact=True).click()
    expect(dialog.get_by_text("Enter an absolute https:// URL.", exact=True)).to_be_visible()
    expect(dialog.get_by_label("Redirect URL")).to_be_focused()
    summary = dialog.locator("#error-summary")
    expect(summary).to_contain_text("Please correct the error below.")
    dialog.get_by_label("Name").focus()
    summary.get_by_role("link", name="Redirect URL").click()
    expect(dialog.get_by_label("Redirect URL")).to_be_focused()
    screenshot(page, "add-app-modal.png")
    expect(dialog).to_be_visible()
    assert not App.objects.filter(name="Calendar Sync").exists()
    assert dialog.locator("#generated-client-id").input_value() == shown_key

    # Corrected, it closes the modal, refreshes the table and says so.
    dialog.get_by_label("Redirect URL").fill("https://calendar.example/oauth/callback")
    dialog.get_by_role("button", name="Save", exact=True).click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("alert")).to_contain_text("The App “Calendar Sync” was added. Its App ID/key")
    row = page.get_by_role("row", name=re.compile("Calendar Sync"))
    expect(row).to_contain_text(shown_key)
    app = App.objects.get(name="Calendar Sync")
    assert (app.client_id, app.client_secret, app.trusted) == (shown_key, shown_secret, True)
    expect(page.locator("#app-count")).to_have_text("4 Apps")
    screenshot(page, "app-list.png")

    # Search finds it; the App's page opens from its name.
    page.get_by_label("Search by name or App ID/key").fill(shown_key[:12])
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#app-count")).to_contain_text("1 App matching")
    # Its name opens it in a pop-up, which links to the App's full page.
    page.get_by_role("link", name="Calendar Sync").click()
    dialog.get_by_role("link", name="Open the App's page").click()
    expect(page.get_by_role("heading", name=re.compile("Calendar Sync"))).to_be_visible()
    expect(page.get_by_label("Redirect URL")).to_have_value("https://calendar.example/oauth/callback")

    # Reveal shows the secret in place.
    secret = page.locator("#client-secret")
    expect(secret).not_to_have_value(shown_secret)
    page.get_by_role("button", name="Reveal").click()
    expect(secret).to_have_value(shown_secret)
    screenshot(page, "app-edit.png", full_page=True)

    # Regenerate asks first, warns about the tokens, then shows the new secret.
    page.get_by_role("link", name="Regenerate…").click()
    expect(dialog.get_by_text("Every access token and refresh token of the App stops")).to_be_visible()
    dialog.get_by_role("button", name="Regenerate the secret").click()
    new_secret = dialog.locator("#new-secret")
    expect(new_secret).not_to_have_value(shown_secret)
    app.refresh_from_db()
    expect(new_secret).to_have_value(app.client_secret)
    dialog.get_by_role("link", name="Done").click()
    expect(dialog).to_be_hidden()
    expect(secret).to_have_value(app.client_secret)

    # Disable.
    page.get_by_role("link", name="Disable…").click()
    dialog.get_by_role("button", name="Disable the App").click()
    expect(page.get_by_role("alert")).to_have_text("The App “Calendar Sync” is disabled.")
    expect(page.get_by_role("link", name="Enable…")).to_be_visible()
    app.refresh_from_db()
    assert not app.enabled

    # Remove, with a confirmation naming the App.
    page.get_by_role("link", name="Remove…").click()
    expect(dialog.get_by_role("heading", name="Remove “Calendar Sync”?")).to_be_visible()
    dialog.get_by_role("button", name="Remove the App").click()
    expect(page.get_by_role("alert")).to_have_text("The App “Calendar Sync” was removed.")
    expect(page.locator("#app-count")).to_have_text("3 Apps")
    assert not App.objects.filter(name="Calendar Sync").exists()


def test_tabs_switch_in_place_and_keep_a_real_address(page, demo):
    AppFactory(owner=demo["organization"], name="Call Recorder", api=Api.UNIFIEDAPI)
    sign_in(page, "organization")
    page.goto(f"/accounts/{demo['organization'].pk}/apps/")

    page.get_by_role("link", name="UnifiedAPI", exact=True).click()

    expect(page.get_by_role("link", name="Call Recorder")).to_be_visible()
    expect(page).to_have_url(re.compile(r"\?api=unifiedapi$"))
    page.go_back()
    expect(page.get_by_role("link", name="Call Recorder")).to_be_hidden()


def test_service_provider_unifiedapi_tab_offers_no_add_button(page, demo):
    sign_in(page, "provider")
    page.get_by_role("link", name="SystemAPI & UnifiedAPI").first.click()
    expect(page.get_by_role("link", name="Add App")).to_be_visible()

    page.get_by_role("link", name="UnifiedAPI", exact=True).click()

    expect(page.get_by_text("Service Provider accounts cannot own UnifiedAPI Apps.")).to_be_visible()
    expect(page.get_by_role("link", name="Add App")).to_have_count(0)


def test_bulk_remove_of_selected_rows(page, demo):
    for name in ("Keep Me", "Drop One", "Drop Two"):
        AppFactory(owner=demo["user"], name=name)
    sign_in(page, "user")
    page.goto(f"/accounts/{demo['user'].pk}/apps/")

    expect(page.locator("#selection-count")).to_have_text("0 of 3 selected")
    page.get_by_label("Select Drop One").check()
    page.get_by_label("Select Drop Two").check()
    expect(page.locator("#selection-count")).to_have_text("2 of 3 selected")
    page.get_by_label("Action").select_option("remove")
    page.get_by_role("button", name="Go").click()
    expect(page.get_by_role("heading", name="Remove 2 Apps?")).to_be_visible()
    page.get_by_role("button", name="Yes, remove them").click()

    expect(page.get_by_role("alert")).to_have_text("Removed 2 Apps.")
    assert list(App.objects.values_list("name", flat=True)) == ["Keep Me"]


def test_filter_then_select_all_across_pages_and_disable_them(page, demo):
    owner = demo["user"]
    for i in range(55):
        AppFactory(owner=owner, name=f"Bot {i:02d}", trusted=i % 5 == 0)  # 11 trusted
    for i in range(52):
        AppFactory(owner=owner, name=f"Trusted Bot {i:02d}", trusted=True)
    sign_in(page, "user")
    page.goto(f"/accounts/{owner.pk}/apps/")
    page.locator("#filter-heading").click()  # the filters fold above the table
    expect(page.locator("#filter-trusted-1")).to_have_text("Yes (63)")

    # The sidebar filters inside the page (htmx), the URL keeps it, focus stays on the link.
    page.locator("#filter-trusted-1").click()
    expect(page.locator("#app-count")).to_have_text("63 Apps filtered · clear")
    expect(page).to_have_url(re.compile(r"trusted=1"))
    expect(page.locator("#filter-trusted-1")).to_be_focused()
    expect(page.locator("#announce")).to_contain_text("63 Apps")
    expect(page.get_by_role("navigation", name="Pages").get_by_role("link", name="Last")).to_be_visible()
    screenshot(page, "app-list-filters.png")

    # Select every row of the page, then every App of the filter on every page.
    page.get_by_label("Select every App on this page").check()
    expect(page.locator("#selection-count")).to_have_text("50 of 50 selected")
    page.get_by_role("button", name="Select all 63 Apps").click()
    expect(page.locator("#select-across-done")).to_contain_text("All 63 Apps selected")
    page.get_by_label("Action").select_option("disable")
    page.get_by_role("button", name="Go").click()
    expect(page.get_by_role("heading", name="Disable 63 Apps?")).to_be_visible()
    expect(page.get_by_role("link", name="No, go back")).to_be_focused()
    page.get_by_role("button", name="Yes, disable them").click()

    expect(page.get_by_role("alert")).to_have_text("Disabled 63 Apps.")
    assert App.objects.filter(enabled=False).count() == 63
    assert not App.objects.filter(enabled=False, trusted=False).exists()


def test_without_javascript_the_add_app_form_is_a_page(chromium, live_server, demo):
    context = chromium.new_context(base_url=live_server.url, java_script_enabled=False)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        sign_in(page, "user")
        page.goto(f"/accounts/{demo['user'].pk}/apps/?api=unifiedapi")
        page.get_by_role("link", name="Add App").click()
        expect(page).to_have_url(re.compile(r"/apps/add/\?api=unifiedapi$"))
        form = page.locator("main")
        fill_app_form(form, "http://calendar.example/cb")
        form.get_by_role("button", name="Save", exact=True).click()
        expect(form.get_by_text("Enter an absolute https:// URL.", exact=True)).to_be_visible()
        form.get_by_label("Redirect URL").fill("https://calendar.example/cb")
        form.get_by_role("button", name="Save", exact=True).click()

        expect(page.get_by_role("alert")).to_contain_text("The App “Calendar Sync” was added. Its App ID/key")
        expect(page).to_have_url(re.compile(r"/apps/\?api=unifiedapi$"))
        app = App.objects.get(name="Calendar Sync")
        assert (app.owner, app.api) == (demo["user"], Api.UNIFIEDAPI)

        # The secret's Reveal button is a plain form too.
        page.locator("#changelist").get_by_role("link", name="Calendar Sync").click()
        page.get_by_role("button", name="Reveal").click()
        expect(page.locator("#client-secret")).to_have_value(app.client_secret)
        # It ended on a GET: a refresh resends nothing, and shows the secret masked again.
        page.reload()
        expect(page.locator("#client-secret")).not_to_have_value(app.client_secret)
        from apps_registry.models import AuditAction, AuditEvent

        assert AuditEvent.objects.filter(app=app, action=AuditAction.REVEAL_SECRET).count() == 1
    finally:
        context.close()


def test_a_broken_app_image_gives_way_to_the_placeholder(page, demo):
    AppFactory(owner=demo["user"], name="Broken Logo", image_uri="https://images.example/missing.png")
    page.route("https://images.example/**", lambda route: route.abort())
    sign_in(page, "user")
    page.goto(f"/accounts/{demo['user'].pk}/apps/")

    row = page.get_by_role("row", name=re.compile("Broken Logo"))
    expect(row.locator(".app-image-broken")).to_have_count(1)
    expect(row.locator("img")).to_have_count(0)


def test_edit_an_app_in_a_pop_up_from_the_list_and_reveal_its_secret_there(page, demo):
    from apps_registry.models import AuditAction, AuditEvent

    app = AppFactory(owner=demo["user"], name="Pop Me")
    sign_in(page, "user")
    page.goto(f"/accounts/{demo['user'].pk}/apps/")

    page.get_by_role("link", name="Pop Me").click()
    dialog = page.locator("#modal")
    expect(dialog.get_by_role("heading", name=re.compile("Edit “Pop Me”"))).to_be_visible()
    expect(page).to_have_url(re.compile(r"/apps/$"))  # still the list behind the pop-up

    # The secret's Reveal works inside it, and is audited once.
    dialog.get_by_role("button", name="Reveal").click()
    expect(dialog.locator("#client-secret")).to_have_value(app.client_secret)
    # The focus goes to the secret shown once htmx settles: typing before then would land there.
    expect(dialog.locator("#client-secret")).to_be_focused()
    assert AuditEvent.objects.filter(app=app, action=AuditAction.REVEAL_SECRET).count() == 1

    dialog.get_by_label("Name").fill("")
    dialog.get_by_role("button", name="Save", exact=True).click()
    expect(dialog.locator("#error-summary")).to_contain_text("Please correct the error below.")
    expect(dialog.get_by_label("Name")).to_be_focused()
    screenshot(page, "edit-app-pop-up.png")
    dialog.get_by_label("Name").fill("Popped")
    dialog.get_by_role("button", name="Save", exact=True).click()

    expect(dialog).to_be_hidden()
    expect(page.get_by_role("alert")).to_contain_text("The App “Popped” was changed.")
    expect(page.locator("#changelist").get_by_role("link", name="Popped")).to_be_focused()
    app.refresh_from_db()
    assert app.name == "Popped"

    # Regenerate from the pop-up asks first (Cancel focused), then shows the new secret.
    page.locator("#changelist").get_by_role("link", name="Popped").click()
    dialog.get_by_role("link", name="Regenerate…").click()
    expect(dialog.get_by_role("link", name="Cancel")).to_be_focused()
    dialog.get_by_role("button", name="Regenerate the secret").click()
    expect(dialog.get_by_role("heading", name="New secret of “Popped”")).to_be_visible()
    app.refresh_from_db()
    expect(dialog.locator("#new-secret")).to_have_value(app.client_secret)


def test_rotate_a_secret_on_the_app_page_add_then_remove_the_old_one(page, demo):
    """Add a secret… shows the new one once in the modal; the page then lists both, masked;
    Remove… on the old one asks, then leaves the new one alone."""
    from apps_registry.models import AppSecret

    app = AppFactory(owner=demo["organization"], name="Rotating App", api=Api.SYSTEMAPI)
    old = app.client_secret
    sign_in(page, "organization")
    page.goto(f"/apps/{app.pk}/")
    expect(page.locator("#secret-list > li")).to_have_count(1)

    page.get_by_role("link", name="Add a secret…").click()
    dialog = page.locator("#modal")
    expect(dialog.get_by_role("heading", name=re.compile("Add a second secret"))).to_be_visible()
    dialog.get_by_role("button", name="Add a secret").click()
    expect(dialog.get_by_role("heading", name=re.compile("Second secret of"))).to_be_visible()
    new = AppSecret.objects.live().filter(app=app).order_by("pk").last().secret
    expect(dialog.locator("#new-secret")).to_have_value(new)
    # Behind the modal, the page's list has both already (updated out of band).
    expect(page.locator("#secret-list > li")).to_have_count(2)
    dialog.get_by_role("link", name="Done").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#client-secret")).to_have_value("•" * 28 + old[-4:])
    expect(page.locator("#client-secret-2")).to_have_value(new)  # as the modal showed it
    page.reload()
    expect(page.locator("#client-secret-2")).to_have_value("•" * 28 + new[-4:])
    page.locator("#app-secret").scroll_into_view_if_needed()
    screenshot(page, "app-secrets.png")
    # Reveal names the secret it shows (htmx swaps the list in place).
    page.get_by_role("button", name=f"Reveal the secret ending {new[-4:]}").click()
    expect(page.locator("#client-secret-2")).to_have_value(new)
    expect(page.locator("#client-secret")).to_have_value("•" * 28 + old[-4:])

    page.get_by_role("link", name=f"Remove the secret ending {old[-4:]}").click()
    expect(
        dialog.get_by_role("heading", name=re.compile(f"Remove the secret …{re.escape(old[-4:])}"))
    ).to_be_visible()
    dialog.get_by_role("button", name="Remove the secret").click()

    expect(page.get_by_role("alert")).to_contain_text(f"The secret …{old[-4:]} of “Rotating App” was removed")
    expect(page.locator("#secret-list > li")).to_have_count(1)
    expect(page.locator("#client-secret")).to_have_value("•" * 28 + new[-4:])
    expect(page.get_by_role("link", name="Add a secret…")).to_be_visible()
    assert [secret.secret for secret in AppSecret.objects.live().filter(app=app)] == [new]


def test_add_and_remove_a_secret_without_javascript(chromium, live_server, demo):
    from apps_registry.models import AppSecret

    app = AppFactory(owner=demo["user"], name="No Script")
    context = chromium.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in(page, "user")
        page.goto(f"/apps/{app.pk}/")
        page.get_by_role("link", name="Add a secret…").click()
        expect(page).to_have_url(re.compile(rf"/apps/{app.pk}/secret/add/$"))
        page.get_by_role("button", name="Add a secret").click()
        new = AppSecret.objects.live().filter(app=app).order_by("pk").last().secret
        expect(page.locator("#new-secret")).to_have_value(new)
        page.get_by_role("link", name="Done").click()
        old = app.live_secrets[0]
        page.get_by_role("link", name=f"Remove the secret ending {old.secret[-4:]}").click()
        expect(page).to_have_url(re.compile(rf"/apps/{app.pk}/secret/{old.pk}/remove/$"))
        page.get_by_role("button", name="Remove the secret").click()
        expect(page.get_by_role("alert")).to_contain_text("was removed")
        assert [secret.secret for secret in AppSecret.objects.live().filter(app=app)] == [new]
    finally:
        context.close()
