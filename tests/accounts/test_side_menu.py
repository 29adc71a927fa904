"""The side menu (accounts/templatetags/side_menu.py): the page's own item marked current, an
Administrator's Apps link under Unified Communications > Integration."""

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def menu(response) -> str:
    return re.search(r'<nav [^>]*aria-label="Main menu">(.*?)</nav>', response.content.decode(), re.S).group(
        1
    )


def current(response) -> list[str]:
    return re.findall(r'class="nav-link active" aria-current="page" href="[^"]*">([^<]*)<', menu(response))


@pytest.mark.parametrize("persona", ["admin", "organization", "user"])
def test_the_current_item_is_the_pages_own(persona, client, demo, demo_apps):
    actor, other = demo[persona], demo["user2"] if persona == "admin" else demo[persona]
    client.force_login(actor)
    expected = {
        reverse("accounts:detail", args=[actor.pk]): ["My account"],
        reverse("apps_registry:list", args=[actor.pk]): ["SystemAPI &amp; UnifiedAPI"],
        reverse("apps_registry:edit", args=[demo_apps[persona].pk]): ["SystemAPI &amp; UnifiedAPI"],
        reverse("apps_registry:audit", args=[actor.pk]): ["SystemAPI &amp; UnifiedAPI"],
        reverse("apps_registry:authorized", args=[actor.pk]): ["Authorized Apps"],
        reverse("playground:start"): ["Developer playground"],
    }
    if other != actor:  # another account's authorized Apps are not one's own item
        expected[reverse("apps_registry:authorized", args=[other.pk])] = []
    for url, items in expected.items():
        response = client.get(url)
        assert response.status_code == 200, url
        assert current(response) == items, url
        own = reverse("apps_registry:authorized", args=[actor.pk])
        assert f'href="{own}">Authorized Apps<' in menu(response)


def test_only_an_administrator_sees_integration(client, demo):
    for persona, nested in [("admin", True), ("provider", False), ("user", False)]:
        client.force_login(demo[persona])
        page = client.get(reverse("accounts:detail", args=[demo[persona].pk]))
        assert ("Unified Communications" in menu(page)) is nested
        assert ("Integration</span>" in menu(page)) is nested


def test_signed_out_pages_have_no_menu(client, db):
    assert 'aria-label="Main menu"' not in client.get(reverse("login")).content.decode()
