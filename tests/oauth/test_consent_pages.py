"""The consent pages (issue 15, item 12): signed out, the username field has the focus; Register
sent again after Back explains that the App *was* registered, and where it is."""

import re

import pytest

from apps_registry.models import App
from tests.factories import AppFactory
from tests.helpers import REDIRECT
from tests.oauth.test_register import decide, start

pytestmark = pytest.mark.django_db


def test_signed_out_consent_pages_focus_the_username_field(client, demo):
    app = AppFactory(owner=demo["organization"], redirect_uri=REDIRECT)

    register = start(client).content.decode()
    authorize = client.get(
        "/oauth/authorize.php",
        {"response_type": "code", "client_id": app.client_id, "redirect_uri": REDIRECT},
    ).content.decode()

    for html in (register, authorize):
        field = re.search(r'<input[^>]*name="username"[^>]*>', html).group(0)
        assert "autofocus" in field
        assert html.count("autofocus") == 1


def test_register_again_after_back_explains_the_app_was_registered_and_links_to_it(client, demo):
    client.force_login(demo["user"])
    page = start(client)
    assert decide(client, page).status_code == 302

    again = decide(client, page)

    html = again.content.decode()
    assert again.status_code == 409
    assert "“Google Apps” was registered already" in html
    assert "the App <strong>was registered</strong> then" in html
    assert "Nothing was registered or authorized" not in html
    link = re.search(r'<a href="([^"]+)" id="registered-apps-link">', html).group(1)
    assert link == f"/accounts/{demo['user'].pk}/apps/?api=unifiedapi&amp;q=Google+Apps"
    assert App.objects.count() == 1
    listing = client.get(link.replace("&amp;", "&")).content.decode()
    assert "Google Apps" in listing and "1 App matching" in listing


def test_register_again_names_the_app_it_made(client, demo):
    client.force_login(demo["user"])
    page = start(client)
    decide(client, page)

    html = decide(client, page).content.decode()

    made = App.objects.get()
    assert f'<a href="/apps/{made.pk}/" id="registered-app-link">“Google Apps”</a>' in html
    assert made.client_id in html  # the key the page was drawn with
    assert made.client_secret not in page.content.decode()  # never the secret


def test_a_page_drawn_again_after_register_warns_of_the_twin_first(client, demo):
    """Back after Register draws the consent page again (it is never cached): a new page, whose
    Register meets the App of the same name and redirect URL, as Add App does."""
    client.force_login(demo["user"])
    first, again = start(client), start(client)
    assert decide(client, first).status_code == 302

    warned = decide(client, again)

    html = warned.content.decode()
    made = App.objects.get()
    assert warned.status_code == 409
    assert 'id="twin-warning"' in html and f'href="/apps/{made.pk}/"' in html
    assert "Press Register again only to register a second one" in html
    assert '<input type="hidden" name="twin_confirmed" value="yes">' in html
    assert App.objects.count() == 1

    confirmed = decide(client, warned, twin_confirmed="yes")

    assert confirmed.status_code == 302
    assert App.objects.count() == 2
