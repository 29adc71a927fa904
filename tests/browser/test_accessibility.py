"""axe-core finds nothing on every page and state of the portal: the lists, the modal open with
errors, the App's page and its dialogs, the consent pages, the playground, the account pages.

axe-core comes from npm (tests/browser/axe/package.json; `make axe`, which `make test` runs,
installs it; nothing is fetched at run time). It is injected with Playwright's
add_script_tag, which writes an inline <script>: the Content-Security-Policy would refuse it,
so these contexts, and only these, are opened with bypass_csp=True. The CSP itself is checked
with it in force by test_content_security_policy.py.
"""

import json
import re
from pathlib import Path
from urllib.parse import urlencode

import pytest
from playwright.sync_api import expect

from apps_registry.models import Api
from tests.chromium import sign_in
from tests.factories import AppFactory
from tests.helpers import REDIRECT

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture
def tab(chromium, live_server):
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `make axe` (npm install in tests/browser/axe).")
    context = chromium.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}, bypass_csp=True
    )
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def violations(page, within: str | None = None) -> list[str]:
    """axe's violations on the page as it is now, one line per rule and element."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    # An open dialog is checked alone: the page under the backdrop was checked before it opened.
    result = page.evaluate("async (within) => await axe.run(within || document)", within)
    return [
        f"{rule['id']} ({rule['impact']}): {node['target']} {node['failureSummary']!r}"
        for rule in result["violations"]
        for node in rule["nodes"]
    ]


def check(page, where: str, found: dict, within: str | None = None) -> None:
    found[where] = violations(page, within)


def assert_none(found: dict) -> None:
    bad = {where: lines for where, lines in found.items() if lines}
    assert not bad, json.dumps(bad, indent=1, ensure_ascii=False)


def test_the_app_management_pages_and_dialogs_have_no_axe_violations(tab, demo):
    page, found = tab, {}
    owner = demo["organization"]
    app = AppFactory(owner=owner, name="Calendar Sync", description="Keeps calendars in step", trusted=True)
    AppFactory(owner=owner, name="Logo App", image_uri="https://images.example/logo.png")
    AppFactory(owner=owner, name="Call Recorder", api=Api.UNIFIEDAPI)
    page.route("https://images.example/**", lambda route: route.abort())

    page.goto("/accounts/login/")
    check(page, "sign-in", found)
    sign_in(page, "organization")
    check(page, "my account", found)
    page.goto(f"/accounts/{owner.pk}/apps/")
    expect(page.get_by_role("link", name="Calendar Sync")).to_be_visible()
    check(page, "App list", found)
    page.locator("#filter-heading").click()  # the folded filters open
    page.get_by_text("More for organization").click()  # and the account's other pages
    expect(page.get_by_role("link", name="Initial access tokens")).to_be_visible()
    check(page, "App list, filters and More open", found)
    page.locator("#filter-trusted-1").click()
    expect(page.locator("#app-count")).to_contain_text("filtered")
    page.get_by_label("Select Calendar Sync").check()
    page.get_by_label("Action").select_option("disable")
    check(page, "App list, filter sidebar and actions menu in use", found)
    page.get_by_role("button", name="Go").click()
    expect(page.get_by_role("heading", name="Disable 1 App?")).to_be_visible()
    check(page, "action confirmation page", found)
    page.goto(f"/accounts/{owner.pk}/apps/")
    page.get_by_role("link", name="UnifiedAPI", exact=True).click()
    expect(page.get_by_role("link", name="Call Recorder")).to_be_visible()
    check(page, "App list, UnifiedAPI tab", found)

    page.get_by_role("link", name="Add App").click()
    dialog = page.locator("#modal")
    dialog.get_by_label("Redirect URL").fill("http://insecure.example/cb")
    dialog.get_by_role("button", name="Save", exact=True).click()
    expect(dialog.get_by_text("Enter an absolute https:// URL.", exact=True)).to_be_visible()
    check(page, "Add App modal with errors", found, within="#modal")
    page.goto(f"/accounts/{owner.pk}/apps/add/?api=systemapi")
    check(page, "Add App page", found)
    page.goto(f"/accounts/{owner.pk}/apps/")
    page.locator("#changelist").get_by_role("link", name="Calendar Sync").click()
    expect(dialog.get_by_role("heading", name=re.compile("Edit “Calendar Sync”"))).to_be_visible()
    dialog.get_by_label("Name").fill("")
    dialog.get_by_role("button", name="Save", exact=True).click()
    expect(dialog.locator("#error-summary")).to_be_visible()
    check(page, "Edit pop-up with errors", found, within="#modal")
    dialog.get_by_role("button", name="Reveal").press(
        "Enter"
    )  # no pointer left hovering the Copy button that takes its place
    expect(dialog.locator("#secret-help")).to_contain_text("Revealed")
    check(page, "Edit pop-up, secret revealed", found, within="#modal")

    page.goto(f"/apps/{app.pk}/")
    check(page, "App page", found)
    page.get_by_role("button", name="Reveal").press("Enter")
    expect(page.locator("#secret-help")).to_contain_text("Revealed")
    check(page, "App page, secret revealed", found)
    page.get_by_role("link", name="Remove…").click()
    expect(dialog).to_be_visible()
    check(page, "Remove dialog", found, within="#modal")
    page.goto(f"/apps/{app.pk}/remove/")
    check(page, "Remove page", found)
    page.goto(f"/apps/{app.pk}/tokens/")
    check(page, "tokens", found)
    page.goto(f"/apps/{app.pk}/")
    page.get_by_role("link", name="Add a secret…").click()
    expect(dialog).to_be_visible()
    check(page, "Add a secret dialog", found, within="#modal")
    dialog.get_by_role("button", name="Add a secret").click()
    expect(dialog.locator("#new-secret")).to_be_visible()
    check(page, "New secret dialog", found, within="#modal")
    page.goto(f"/apps/{app.pk}/")
    expect(page.locator("#secret-list > li")).to_have_count(2)
    check(page, "App page with two secrets", found)
    page.locator(".remove-secret").first.click()
    expect(dialog).to_be_visible()
    check(page, "Remove a secret dialog", found, within="#modal")
    page.goto(f"/accounts/{owner.pk}/audit/")
    check(page, "audit trail", found)
    page.goto("/playground/")
    check(page, "playground", found)

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/accounts/{owner.pk}/apps/")
    check(page, "App list at phone width", found)
    page.get_by_role("button", name="Menu").click()
    expect(page.locator("#side-menu")).to_have_class(re.compile(r"\bshow\b"))
    check(page, "phone menu open", found, within="#side-menu")
    page.goto(f"/accounts/{owner.pk}/audit/")
    check(page, "audit trail at phone width", found)

    assert_none(found)


def test_the_consent_pages_have_no_axe_violations(tab, demo):
    page, found = tab, {}
    web = AppFactory(owner=demo["organization"], api=Api.UNIFIEDAPI, name="Web App", redirect_uri=REDIRECT)
    authorize = {"response_type": "code", "client_id": web.client_id, "redirect_uri": REDIRECT}
    register = {
        "name": "Fake App",
        "homepage": "https://fake-app.example/",
        "email": "dev@fake-app.example",
        "redirect_uri": "https://fake-app.example/cb",
        "state": "s",
    }

    page.goto(f"/oauth/authorize.php?{urlencode(authorize)}")
    check(page, "authorize, signed out", found)
    page.goto(f"/oauth/register.php?{urlencode(register)}")
    check(page, "register, signed out", found)
    sign_in(page, "user")
    page.goto(f"/oauth/register.php?{urlencode(register)}")
    check(page, "register, signed in", found)
    page.goto(f"/oauth/authorize.php?{urlencode(authorize)}")
    check(page, "authorize, signed in", found)

    assert_none(found)


def test_the_registration_pages_have_no_axe_violations(tab, demo, settings):
    """RFC 7591 (design §6.1): the initial access tokens page (empty, a token just created, the
    revoke confirmation), a public client's App page, and authorize.php's unverified-developer
    warning for an open-registered App."""
    from oauth.registration import parse_client_metadata
    from oauth.services import registration_create
    from portal.audit import COMMAND_LINE

    page, found = tab, {}
    owner = demo["organization"]
    settings.OAUTH_OPEN_REGISTRATION_ACCOUNT = "organization"
    metadata = parse_client_metadata(
        {
            "client_name": "Native Tool",
            "redirect_uris": ["http://127.0.0.1:4000/cb", "https://tool.example/cb"],
            "token_endpoint_auth_method": "none",
        }
    )
    app = registration_create(
        metadata=metadata, initial_access_token=None, ip_address="127.0.0.1", origin=COMMAND_LINE
    ).app

    page.goto("/accounts/login/")
    sign_in(page, "organization")
    page.goto(f"/accounts/{owner.pk}/initial-access-tokens/")
    check(page, "initial access tokens, none yet", found)
    page.get_by_label("Name").fill("MCP clients")
    page.get_by_role("button", name="Create token").click()
    expect(page.locator("#created-token")).to_be_visible()
    check(page, "initial access tokens, one just created", found)
    page.get_by_role("link", name="Revoke MCP clients").click()
    check(page, "revoke an initial access token", found)
    page.goto(f"/apps/{app.pk}/")
    expect(page.locator("#public-client")).to_be_visible()
    check(page, "a public client's App page", found)

    challenge = "c" * 43
    authorize = {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": app.redirect_uri,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    page.goto(f"/oauth/authorize.php?{urlencode(authorize)}")
    expect(page.locator("#unverified-app")).to_be_visible()
    check(page, "authorize, an open-registered App", found)

    assert_none(found)


def test_the_authorized_apps_page_and_its_dialogs_have_no_axe_violations(tab, demo):
    from apps_registry.services import app_authorization_grant

    page, found = tab, {}
    user = demo["user"]
    for name, image in (("Calendar Sync", "https://images.example/logo.png"), ("CRM Connector", "")):
        app = AppFactory(owner=demo["organization2"], api=Api.UNIFIEDAPI, name=name, image_uri=image)
        app_authorization_grant(app=app, account=user)
    page.route("https://images.example/**", lambda route: route.abort())
    sign_in(page, "user")

    page.goto(f"/accounts/{user.pk}/authorized-apps/")
    expect(page.get_by_role("heading", name="Apps authorized to act for user")).to_be_visible()
    check(page, "Authorized Apps", found)
    page.get_by_role("link", name="Revoke access… of CRM Connector").click()
    expect(page.locator("#modal")).to_be_visible()
    check(page, "Revoke access dialog", found, within="#modal")
    page.goto(f"/accounts/{user.pk}/authorized-apps/revoke/?app={app.pk}")
    check(page, "Revoke access page", found)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/accounts/{user.pk}/authorized-apps/")
    check(page, "Authorized Apps at phone width", found)

    assert_none(found)


def test_initial_access_tokens_with_errors_the_providers_unifiedapi_tab_and_the_forms_have_no_axe_violations(
    tab, demo
):
    page, found = tab, {}
    app = AppFactory(owner=demo["organization"], name="Asked App")
    sign_in(page, "provider")
    page.goto(f"/accounts/{demo['provider'].pk}/apps/?api=unifiedapi")
    expect(page.get_by_role("heading", name="No UnifiedAPI Apps here")).to_be_visible()
    check(page, "Service Provider's UnifiedAPI tab", found)
    page.goto(f"/accounts/{demo['provider'].pk}/initial-access-tokens/")
    page.get_by_label("Name").fill("")
    page.get_by_role("button", name="Create token").click()
    expect(page.locator("#error-summary")).to_be_focused()
    check(page, "Initial access tokens with errors", found)
    page.goto(f"/accounts/{demo['provider'].pk}/add-child/")
    page.get_by_role("button", name="Add account").click()
    expect(page.locator("#error-summary")).to_be_visible()
    check(page, "Add child account with errors", found)

    page.context.clear_cookies()
    sign_in(page, "organization")
    page.goto(f"/accounts/{app.owner_id}/apps/")
    page.locator("#changelist").get_by_role("link", name="Asked App").click()
    dialog = page.locator("#modal")
    dialog.get_by_label("Description").fill("Typed")
    dialog.get_by_role("link", name="Regenerate…").click()
    expect(page.locator("#discard-question")).to_be_visible()
    check(page, "discard question", found, within="#modal")

    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(f"/accounts/{app.owner_id}/")
    check(page, "my account at 375 px (one-row header)", found)
    assert_none(found)
