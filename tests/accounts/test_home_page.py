"""The account pages as a browser sees them (design §2): an account's home page, the
Administrator menu, and the account's App page with a tab per API."""

import pytest
from django.urls import reverse

from accounts.models import Account
from apps_registry.models import Api
from tests.accounts.helpers import hrefs, page
from tests.factories import AppFactory

# --- The home page ---------------------------------------------------------------------------


def test_me_redirects_to_the_accounts_own_page(demo, client):
    client.force_login(demo["organization"])

    response = client.get(reverse("accounts:me"))

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:detail", args=[demo["organization"].pk])


def test_home_page_shows_the_accounts_details(demo, client):
    account = demo["organization"]
    Account.objects.filter(pk=account.pk).update(phone="+1 555 0199")
    client.force_login(demo["provider"])

    response = client.get(reverse("accounts:detail", args=[account.pk]))

    content = response.content.decode()
    assert response.status_code == 200
    assert "Demo Organization" in content
    assert "organization@demo.example" in content
    assert "+1 555 0199" in content
    assert '<dd class="col-sm-8">Organization</dd>' in content
    assert (reverse("accounts:detail", args=[demo["provider"].pk]), "provider") in page(response).links


def test_home_page_lists_child_accounts_with_links_to_their_pages(demo, client):
    client.force_login(demo["admin"])

    response = client.get(reverse("accounts:detail", args=[demo["admin"].pk]))

    links = page(response).links
    assert (reverse("accounts:detail", args=[demo["provider"].pk]), "provider") in links
    assert (reverse("accounts:detail", args=[demo["organization2"].pk]), "organization2") in links
    assert "Demo Service Provider" in response.content.decode()
    assert "Second Demo Organization" in response.content.decode()
    # Grandchildren are on their own parents' pages, not here.
    assert reverse("accounts:detail", args=[demo["organization"].pk]) not in hrefs(response)
    assert reverse("accounts:detail", args=[demo["user2"].pk]) not in hrefs(response)


def test_home_page_of_a_user_account_says_it_has_no_children_and_offers_no_add_button(demo, client):
    client.force_login(demo["user"])

    response = client.get(reverse("accounts:detail", args=[demo["user"].pk]))

    assert "A User account has no child accounts." in response.content.decode()
    assert reverse("accounts:add_child", args=[demo["user"].pk]) not in hrefs(response)


def test_home_page_has_an_add_child_button_when_the_kind_allows_children(demo, client):
    client.force_login(demo["provider"])

    response = client.get(reverse("accounts:detail", args=[demo["organization"].pk]))

    assert (reverse("accounts:add_child", args=[demo["organization"].pk]), "Add child account") in page(
        response
    ).links


@pytest.mark.parametrize(("persona", "target"), [("admin", "admin"), ("admin", "provider"), ("user", "user")])
def test_home_page_button_opens_that_accounts_app_page(persona, target, demo, client):
    client.force_login(demo[persona])

    response = client.get(reverse("accounts:detail", args=[demo[target].pk]))

    button = (reverse("apps_registry:list", args=[demo[target].pk]), "SystemAPI & UnifiedAPI")
    assert button in page(response).links


# --- The Administrator menu ------------------------------------------------------------------


def test_administrator_sees_unified_communications_integration_menu(demo, client):
    client.force_login(demo["admin"])

    response = client.get(reverse("accounts:detail", args=[demo["admin"].pk]))

    content = response.content.decode()
    assert "Unified Communications" in content
    assert ">Integration<" in content
    assert (reverse("apps_registry:integration"), "SystemAPI & UnifiedAPI") in page(response).links
    # The three entries nest in this order.
    assert content.index("Unified Communications") < content.index(">Integration<")
    assert content.index(">Integration<") < content.index(reverse("apps_registry:integration"))


@pytest.mark.parametrize("persona", ["provider", "organization", "user", "organization2", "user2"])
def test_only_administrators_see_the_unified_communications_menu(persona, demo, client):
    client.force_login(demo[persona])

    content = client.get(reverse("accounts:detail", args=[demo[persona].pk])).content.decode()

    assert "Unified Communications" not in content
    assert ">Integration<" not in content


@pytest.mark.parametrize("persona", ["admin", "provider", "user"])
def test_integration_url_redirects_to_ones_own_app_page(persona, demo, client):
    client.force_login(demo[persona])

    response = client.get(reverse("apps_registry:integration"))

    assert response.status_code == 302
    assert response["Location"] == reverse("apps_registry:list", args=[demo[persona].pk])


# --- The App page of an account --------------------------------------------------------------


def active_tab(response) -> str:
    content = response.content.decode()
    marker = 'class="nav-link active" aria-current="page" href="?api='
    start = content.index(marker) + len(marker)
    return content[start : content.index('"', start)]


@pytest.mark.parametrize("api", [Api.SYSTEMAPI, Api.UNIFIEDAPI])
def test_app_page_has_a_tab_for_each_api(api, demo, client):
    client.force_login(demo["organization"])
    url = reverse("apps_registry:list", args=[demo["organization"].pk])

    response = client.get(url, {"api": api})

    assert response.status_code == 200
    assert ("?api=systemapi", "SystemAPI") in page(response).links
    assert ("?api=unifiedapi", "UnifiedAPI") in page(response).links
    assert active_tab(response) == api


def test_app_page_without_a_tab_shows_systemapi(demo, client):
    client.force_login(demo["user"])

    response = client.get(reverse("apps_registry:list", args=[demo["user"].pk]))

    assert active_tab(response) == Api.SYSTEMAPI


def test_service_provider_unifiedapi_tab_says_it_cannot_own_unifiedapi_apps(demo, client):
    client.force_login(demo["admin"])
    url = reverse("apps_registry:list", args=[demo["provider"].pk])

    unified = client.get(url, {"api": Api.UNIFIEDAPI}).content.decode()
    system = client.get(url, {"api": Api.SYSTEMAPI}).content.decode()

    assert "Service Provider accounts cannot own UnifiedAPI Apps" in unified
    assert "Service Provider accounts cannot own UnifiedAPI Apps" not in system


@pytest.mark.parametrize("persona", ["admin", "organization", "user"])
def test_unifiedapi_tab_of_other_kinds_does_not_refuse(persona, demo, client):
    client.force_login(demo[persona])

    response = client.get(reverse("apps_registry:list", args=[demo[persona].pk]), {"api": Api.UNIFIEDAPI})

    assert "cannot own UnifiedAPI Apps" not in response.content.decode()


def test_apps_appear_on_their_own_apis_tab_only(demo, client):
    owner = demo["organization"]
    AppFactory(owner=owner, api=Api.SYSTEMAPI, name="Billing Sync")
    AppFactory(owner=owner, api=Api.UNIFIEDAPI, name="Call Recorder")
    AppFactory(owner=demo["user"], api=Api.SYSTEMAPI, name="Someone Elses App")
    client.force_login(demo["provider"])
    url = reverse("apps_registry:list", args=[owner.pk])

    system = client.get(url, {"api": Api.SYSTEMAPI}).content.decode()
    unified = client.get(url, {"api": Api.UNIFIEDAPI}).content.decode()

    assert "Billing Sync" in system
    assert "Call Recorder" not in system
    assert "Call Recorder" in unified
    assert "Billing Sync" not in unified
    # Only the account's own Apps, not those of the accounts below it.
    assert "Someone Elses App" not in system


def test_app_page_shows_the_app_id(demo, client):
    app = AppFactory(owner=demo["user2"], api=Api.SYSTEMAPI, name="Key Holder")
    client.force_login(demo["organization2"])

    response = client.get(reverse("apps_registry:list", args=[demo["user2"].pk]))

    assert app.client_id in response.content.decode()


@pytest.mark.parametrize("api", ["", "UNIFIEDAPI", "bogus", "unifiedapi ", "systemapi,unifiedapi"])
def test_unknown_api_falls_back_to_the_systemapi_tab(api, demo, client):
    owner = demo["organization"]
    AppFactory(owner=owner, api=Api.SYSTEMAPI, name="Billing Sync")
    AppFactory(owner=owner, api=Api.UNIFIEDAPI, name="Call Recorder")
    client.force_login(owner)

    response = client.get(reverse("apps_registry:list", args=[owner.pk]), {"api": api})

    content = response.content.decode()
    assert response.status_code == 200
    assert active_tab(response) == Api.SYSTEMAPI
    assert "Billing Sync" in content
    assert "Call Recorder" not in content


def test_app_page_of_an_account_out_of_reach_is_404(demo, client):
    AppFactory(owner=demo["organization2"], name="Hidden App")
    client.force_login(demo["provider"])

    response = client.get(reverse("apps_registry:list", args=[demo["organization2"].pk]))

    assert response.status_code == 404
    assert "Hidden App" not in response.content.decode()
