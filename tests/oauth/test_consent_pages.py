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
