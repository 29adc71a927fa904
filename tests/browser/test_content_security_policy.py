"""The Content-Security-Policy holds on every main page in Chromium: no violation is reported
(a `securitypolicyviolation` event or a console error) and no page carries inline script,
inline event handlers or style="" attributes."""

from html.parser import HTMLParser
from urllib.parse import urlencode

import pytest
from playwright.sync_api import expect

from apps_registry.models import Api
from tests import external_idp
from tests.factories import AppFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Collects every violation the page reports, from before its first script runs.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  const where = `${event.sourceFile}:${event.lineNumber}`;
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI} ${where}`);
});
"""

JS_TYPES = {"", "text/javascript", "module", "application/javascript"}


class InlineCode(HTMLParser):
    """Inline script (a <script> of a JavaScript type with no src), on* handlers, style="" and
    javascript: URLs in an HTML document or fragment as the server sent it. (The live DOM may
    carry style attributes that scripts set through the CSSOM, which CSP allows.)"""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script" and "src" not in attributes and (attributes.get("type") or "").lower() in JS_TYPES:
            self.found.append("inline <script>")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}>")
            if name == "style":
                self.found.append(f'<{tag} style="{value}">')
            if (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}=javascript:>")


def inline_code(html: str) -> list[str]:
    parser = InlineCode()
    parser.feed(html)
    return parser.found


@pytest.fixture
def watched(page, live_server):
    """The page, with CSP violations, console errors and the portal's HTML answers recorded."""
    page.add_init_script(RECORD_VIOLATIONS)
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.console_errors = errors
    answers: list = []

    def record(response):
        html = response.headers.get("content-type", "").startswith("text/html")
        page_or_fragment = response.request.resource_type in {"document", "xhr", "fetch"}
        ours = response.url.startswith(live_server.url)
        if html and page_or_fragment and ours and not 300 <= response.status < 400:
            answers.append(response)

    page.on("response", record)
    page.html_answers = answers
    page.scanned = 0
    return page


def assert_clean(page, where: str):
    violations = page.evaluate("window.__cspViolations || []")
    assert violations == [], (where, violations)
    csp_errors = [text for text in page.console_errors if "Content Security Policy" in text]
    assert csp_errors == [], (where, csp_errors)
    while page.html_answers:
        answer = page.html_answers.pop()
        assert inline_code(answer.text()) == [], (where, answer.url)
        page.scanned += 1


def visit(page, url: str, heading: str | None = None, status: int = 200):
    response = page.goto(url)
    assert response.status == status, (url, response.status)
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    if heading:
        expect(page.get_by_role("heading", name=heading).first).to_be_visible()
    assert_clean(page, url)


def test_no_csp_violation_or_inline_code_on_the_main_pages(watched, demo, live_server):
    page = watched
    organization = demo["organization"]
    app = AppFactory(owner=organization, name="Calendar Sync", api=Api.UNIFIEDAPI)

    visit(page, "/accounts/login/", "Sign in")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill("demo")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Signed in as")).to_be_visible()
    assert_clean(page, "after sign-in")

    visit(page, f"/accounts/{organization.pk}/")
    apps = f"/accounts/{organization.pk}/apps/?api=unifiedapi"
    visit(page, apps, "SystemAPI & UnifiedAPI Apps of organization")
    page.get_by_role("link", name="Add App").click()
    dialog = page.locator("#modal")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#generated-client-id")).not_to_be_empty()
    assert_clean(page, "Add App modal")

    visit(page, f"/apps/{app.pk}/")
    page.get_by_role("button", name="Reveal").click()
    expect(page.locator("#client-secret")).to_have_value(app.client_secret)
    assert_clean(page, "App page, secret revealed")
    visit(page, f"/accounts/{organization.pk}/audit/")
    visit(page, "/playground/", "Developer playground")
    visit(page, f"/playground/apps/{app.pk}/")

    register = {
        "name": "Fake App",
        "homepage": "https://fake-app.example/",
        "image_uri": "https://fake-app.example/logo.png",
        "email": "dev@fake-app.example",
        "redirect_uri": "https://fake-app.example/cb",
    }
    page.route("https://fake-app.example/**", lambda route: route.fulfill(status=404, body=""))
    visit(page, "/oauth/register.php?" + urlencode(register))
    authorize = {"response_type": "code", "client_id": app.client_id, "redirect_uri": app.redirect_uri}
    visit(page, "/oauth/authorize.php?" + urlencode(authorize))

    visit(page, "/admin/", "Administration")
    visit(page, f"/admin/apps_registry/app/{app.pk}/change/")
    visit(page, f"/admin/accounts/account/{organization.pk}/change/")
    visit(page, "/admin/apps_registry/app/")
    visit(page, "/no-such-page/", "Page not found (404)", status=404)
    # Every page and htmx fragment above was read as the server sent it.
    assert page.scanned >= 17


def test_an_inline_script_would_be_caught(watched, live_server, demo):
    """The checks above can fail: a page given an inline script reports a violation."""
    page = watched
    page.route(
        f"{live_server.url}/inline-test/",
        lambda route: route.fulfill(
            status=200,
            content_type="text/html",
            headers={"Content-Security-Policy": "script-src 'self'; style-src 'self'"},
            body="<!doctype html><p style='color: red'>x</p><script>document.title = 'ran'</script>",
        ),
    )
    page.goto("/inline-test/")
    assert page.title() != "ran"
    assert page.evaluate("window.__cspViolations.length") >= 1
    assert len(inline_code(page.content())) == 2


_idp_server, idp = external_idp._idp_server, external_idp.idp


def test_external_sign_in_buttons_keep_the_policy_and_may_leave_for_the_provider(watched, demo, idp):
    """The sign-in buttons of an external provider are plain forms; their POST redirects to the
    provider, which Chromium would block if the policy restricted form-action."""
    page = watched
    page.route("https://cdn.jsdelivr.net/**", lambda route: route.abort())
    visit(page, "/accounts/login/", "Sign in")
    expect(page.get_by_role("button", name=f"Sign in with {idp.name}")).to_be_visible()
    page.get_by_role("button", name=f"Sign in with {idp.name}").click()
    expect(page.get_by_role("heading", name="Authorize Client")).to_be_visible()
    assert page.url.startswith(idp.url)
