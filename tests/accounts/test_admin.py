"""The Django admin for accounts (design §2): an Administrator sees, opens, edits and adds
only the accounts in reach; no one else gets in."""

from urllib.parse import urlsplit

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from accounts.models import Account, Kind
from tests.accounts.helpers import page
from tests.factories import AdministratorFactory
from tests.helpers import ADD, CHANGE, CHANGELIST, DEMO_PERSONAS, PASSWORD, admin_add_form

# --- The Django admin ------------------------------------------------------------------------


@pytest.fixture
def rival(db) -> Account:
    """A second Administrator, outside the demo `admin`'s reach."""
    return AdministratorFactory(username="rivaladmin", name="Rival Telecom", email="ops@rival.example")


def test_administrator_sees_only_accounts_in_reach_in_the_admin(demo, rival, client):
    client.force_login(demo["admin"])

    response = client.get(reverse(CHANGELIST))

    assert response.status_code == 200
    listed = {account.username for account in response.context["cl"].result_list}
    assert listed == set(DEMO_PERSONAS)
    content = response.content.decode()
    assert "rivaladmin" not in content
    assert "Rival Telecom" not in content


def test_other_administrator_sees_none_of_the_demo_accounts_in_the_admin(demo, rival, client):
    client.force_login(rival)

    response = client.get(reverse(CHANGELIST))

    assert response.status_code == 200
    assert [account.username for account in response.context["cl"].result_list] == ["rivaladmin"]
    assert "Demo Service Provider" not in response.content.decode()


def test_administrator_opens_an_account_in_reach_in_the_admin(demo, client):
    client.force_login(demo["admin"])

    response = client.get(reverse(CHANGE, args=[demo["user2"].pk]))

    assert response.status_code == 200
    assert "Second Demo User" in response.content.decode()


def test_admin_change_page_of_an_account_out_of_reach_shows_nothing_of_it(demo, rival, client):
    client.force_login(demo["admin"])

    response = client.get(reverse(CHANGE, args=[rival.pk]))

    # A 404, as for a missing row (Django's own answer, a redirect to the index, is overridden).
    assert response.status_code == 404
    body = response.content.decode()
    assert "Rival Telecom" not in body
    assert "ops@rival.example" not in body
    assert "rivaladmin" not in body


def test_admin_cannot_edit_an_account_out_of_reach(demo, rival, client):
    client.force_login(demo["admin"])

    client.post(
        reverse(CHANGE, args=[rival.pk]),
        {"name": "Taken Over", "email": "evil@x.example", "phone": "", "is_active": ""},
    )

    rival.refresh_from_db()
    assert rival.name == "Rival Telecom"
    assert rival.is_active


def test_admin_history_of_an_account_out_of_reach_shows_nothing_of_it(demo, rival, client):
    client.force_login(demo["admin"])

    response = client.get(reverse("admin:accounts_account_history", args=[rival.pk]), follow=True)

    assert "rivaladmin" not in response.content.decode()


def test_admin_autocomplete_offers_only_accounts_in_reach(demo, rival, client):
    client.force_login(demo["admin"])
    query = {"app_label": "accounts", "model_name": "account", "field_name": "parent"}

    everyone = client.get(reverse("admin:autocomplete"), {**query, "term": ""}).json()["results"]
    rivals = client.get(reverse("admin:autocomplete"), {**query, "term": "rival"}).json()["results"]

    assert {result["text"] for result in everyone} == set(DEMO_PERSONAS)
    assert rivals == []


def test_admin_view_on_site_gives_no_hint_that_an_account_out_of_reach_exists(demo, rival, client):
    content_type = ContentType.objects.get_for_model(Account)
    missing = Account.objects.order_by("-pk").first().pk + 100
    client.force_login(demo["admin"])

    out_of_reach = client.get(reverse("admin:view_on_site", args=[content_type.pk, rival.pk]))
    absent = client.get(reverse("admin:view_on_site", args=[content_type.pk, missing]))

    assert absent.status_code == 404
    assert out_of_reach.status_code == 404
    assert str(rival.pk) not in out_of_reach.get("Location", "")


def test_admin_view_on_site_opens_an_account_in_reach(demo, client):
    content_type = ContentType.objects.get_for_model(Account)
    client.force_login(demo["admin"])

    response = client.get(reverse("admin:view_on_site", args=[content_type.pk, demo["user"].pk]))

    assert response.status_code == 302
    assert urlsplit(response["Location"]).path == reverse("accounts:detail", args=[demo["user"].pk])


@pytest.mark.parametrize("persona", ["provider", "organization", "user", "organization2", "user2"])
def test_non_administrators_are_sent_to_the_admin_login(persona, demo, client):
    client.force_login(demo[persona])

    for url in (reverse(CHANGELIST), reverse(CHANGE, args=[demo[persona].pk]), reverse(ADD)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('admin:login')}?next={url}"


def test_non_administrator_cannot_add_an_account_through_the_admin(demo, client):
    client.force_login(demo["provider"])

    client.post(reverse(ADD), admin_add_form(demo["provider"], Kind.ORGANIZATION))

    assert not Account.objects.filter(username="adminadded").exists()


@pytest.mark.parametrize(
    ("parent", "kind"),
    [
        ("admin", Kind.SERVICE_PROVIDER),
        ("admin", Kind.ORGANIZATION),
        ("provider", Kind.ORGANIZATION),
        ("organization", Kind.USER),
        ("organization2", Kind.USER),
    ],
)
def test_adding_an_account_through_the_admin_creates_it(parent, kind, demo, client):
    client.force_login(demo["admin"])

    response = client.post(reverse(ADD), admin_add_form(demo[parent], kind, phone="+44 20 7946 0000"))

    assert response.status_code == 302
    account = Account.objects.get(username="adminadded")
    assert account.parent == demo[parent]
    assert account.kind == kind
    assert account.name == "Added In Admin"
    assert account.phone == "+44 20 7946 0000"
    assert account.check_password(PASSWORD)


@pytest.mark.parametrize(
    ("parent", "kind"),
    [
        ("admin", Kind.USER),
        ("admin", Kind.ADMINISTRATOR),
        ("provider", Kind.USER),
        ("provider", Kind.SERVICE_PROVIDER),
        ("organization", Kind.ORGANIZATION),
    ],
)
def test_adding_a_kind_the_table_refuses_through_the_admin_gives_an_error(parent, kind, demo, client):
    client.force_login(demo["admin"])

    response = client.post(reverse(ADD), admin_add_form(demo[parent], kind))

    assert response.status_code == 200
    assert "kind" in response.context["adminform"].form.errors
    assert "cannot have a" in response.content.decode()
    assert not Account.objects.filter(username="adminadded").exists()
    assert Account.objects.count() == len(DEMO_PERSONAS)


def test_admin_add_form_offers_only_parents_in_reach_that_may_have_children(demo, rival, client):
    client.force_login(demo["admin"])

    response = client.get(reverse(ADD))

    offered = {label for value, label in page(response).options["parent"] if value}
    assert offered == {"admin", "provider", "organization", "organization2"}


def test_adding_an_account_under_another_administrator_through_the_admin_is_refused(demo, rival, client):
    client.force_login(demo["admin"])

    response = client.post(reverse(ADD), admin_add_form(rival, Kind.ORGANIZATION))

    assert response.status_code == 200
    assert "parent" in response.context["adminform"].form.errors
    assert not rival.children.exists()


def test_adding_an_account_with_a_weak_password_through_the_admin_gives_an_error(demo, client):
    client.force_login(demo["admin"])

    response = client.post(reverse(ADD), admin_add_form(demo["admin"], Kind.ORGANIZATION, password="demo"))

    assert response.status_code == 200
    assert "password" in response.context["adminform"].form.errors
    assert not Account.objects.filter(username="adminadded").exists()
