"""The account pages as a browser sees them (design §2): adding a child account, the kinds
the table allows and nothing else, in reach only."""

import pytest
from django.urls import reverse

from accounts.models import Account, Kind
from tests.accounts.helpers import page
from tests.factories import AdministratorFactory
from tests.helpers import DEMO_PERSONAS, PASSWORD, child_form

# --- Adding a child account ------------------------------------------------------------------

OFFERED_KINDS = [
    ("admin", "admin", [(Kind.SERVICE_PROVIDER, "Service Provider"), (Kind.ORGANIZATION, "Organization")]),
    ("provider", "provider", [(Kind.ORGANIZATION, "Organization")]),
    ("organization", "organization", [(Kind.USER, "User")]),
    ("organization2", "organization2", [(Kind.USER, "User")]),
    ("admin", "organization", [(Kind.USER, "User")]),
    ("admin", "provider", [(Kind.ORGANIZATION, "Organization")]),
]


@pytest.mark.parametrize(("persona", "parent", "expected"), OFFERED_KINDS)
def test_add_child_offers_exactly_the_kinds_the_table_allows(persona, parent, expected, demo, client):
    client.force_login(demo[persona])

    response = client.get(reverse("accounts:add_child", args=[demo[parent].pk]))

    assert response.status_code == 200
    offered = [(value, label) for value, label in page(response).options["kind"] if value]
    assert offered == expected


ALLOWED_ADDS = [
    ("admin", "admin", Kind.SERVICE_PROVIDER),
    ("admin", "admin", Kind.ORGANIZATION),
    ("provider", "provider", Kind.ORGANIZATION),
    ("organization", "organization", Kind.USER),
    # A parent adds anywhere in its subtree, not only directly below itself.
    ("admin", "organization", Kind.USER),
    ("admin", "provider", Kind.ORGANIZATION),
    ("provider", "organization", Kind.USER),
]


@pytest.mark.parametrize(("persona", "parent", "kind"), ALLOWED_ADDS)
def test_add_child_creates_the_account_under_that_parent(persona, parent, kind, demo, client):
    client.force_login(demo[persona])

    response = client.post(reverse("accounts:add_child", args=[demo[parent].pk]), child_form(kind))

    child = Account.objects.get(username="newchild")
    assert child.parent == demo[parent]
    assert child.kind == kind
    assert child.name == "New Child Ltd"
    assert child.email == "owner@newchild.example"
    assert child.phone == "+1 555 0100"
    assert child.check_password(PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:detail", args=[child.pk])


def test_added_child_page_shows_a_success_message_and_the_parent_lists_it(demo, client):
    client.force_login(demo["admin"])

    response = client.post(
        reverse("accounts:add_child", args=[demo["organization"].pk]), child_form(Kind.USER), follow=True
    )

    child = Account.objects.get(username="newchild")
    assert response.redirect_chain[-1][0] == reverse("accounts:detail", args=[child.pk])
    assert "The User account “newchild” was added." in response.content.decode()
    parent_page = client.get(reverse("accounts:detail", args=[demo["organization"].pk]))
    assert (reverse("accounts:detail", args=[child.pk]), "newchild") in page(parent_page).links
    # The message is shown once.
    assert "was added" not in parent_page.content.decode()


def test_new_child_account_can_sign_in(demo, client):
    client.force_login(demo["organization"])
    client.post(reverse("accounts:add_child", args=[demo["organization"].pk]), child_form(Kind.USER))
    client.post(reverse("logout"))

    response = client.post(reverse("login"), {"username": "newchild", "password": PASSWORD}, follow=True)

    child = Account.objects.get(username="newchild")
    assert response.redirect_chain[-1][0] == reverse("accounts:detail", args=[child.pk])


FORGED_KINDS = [
    ("provider", "provider", Kind.USER),
    ("provider", "provider", Kind.ADMINISTRATOR),
    ("provider", "provider", Kind.SERVICE_PROVIDER),
    ("admin", "admin", Kind.USER),
    ("admin", "admin", Kind.ADMINISTRATOR),
    ("organization", "organization", Kind.ORGANIZATION),
    ("admin", "organization", Kind.ORGANIZATION),
    ("admin", "provider", Kind.SERVICE_PROVIDER),
    ("provider", "provider", "superuser"),
]


@pytest.mark.parametrize(("persona", "parent", "kind"), FORGED_KINDS)
def test_add_child_refuses_a_forged_kind_and_creates_nothing(persona, parent, kind, demo, client):
    client.force_login(demo[persona])

    response = client.post(reverse("accounts:add_child", args=[demo[parent].pk]), child_form(kind))

    assert response.status_code == 200
    assert "kind" in response.context["form"].errors
    assert "Select a valid choice" in response.content.decode()
    assert not Account.objects.filter(username="newchild").exists()
    assert Account.objects.count() == len(DEMO_PERSONAS)


INVALID_FORMS = [
    ("password_again", {"password_again": "Another-horse-battery-9"}, "The two passwords differ."),
    ("password", {"password": "demo", "password_again": "demo"}, "This password is too short."),
    ("password", {"password": "password123", "password_again": "password123"}, "too common"),
    ("password", {"password": "newchild1", "password_again": "newchild1"}, "too similar"),
    ("username", {"username": "user"}, "An account with that username already exists."),
    ("username", {"username": "bad name!"}, "Enter a valid username"),
    ("email", {"email": "not-an-address"}, "Enter a valid email address."),
    ("phone", {"phone": "call me"}, "Enter a phone number"),
    ("name", {"name": "Two\nlines"}, "line breaks are not allowed"),
    ("name", {"name": ""}, "This field is required."),
]


@pytest.mark.parametrize(("field", "overrides", "message"), INVALID_FORMS)
def test_add_child_shows_the_error_beside_the_field_and_creates_nothing(
    field, overrides, message, demo, client
):
    client.force_login(demo["organization"])

    response = client.post(
        reverse("accounts:add_child", args=[demo["organization"].pk]), child_form(Kind.USER, **overrides)
    )

    content = response.content.decode()
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == [field]
    assert any(message in error for error in errors[field])
    assert message in content
    assert f'id="error_1_id_{field}"' in content  # rendered under that field, not at the top
    assert Account.objects.count() == len(DEMO_PERSONAS)


def test_add_child_with_a_duplicate_username_leaves_the_existing_account_alone(demo, client):
    client.force_login(demo["organization2"])

    client.post(
        reverse("accounts:add_child", args=[demo["organization2"].pk]),
        child_form(Kind.USER, username="user"),
    )

    existing = Account.objects.get(username="user")
    assert existing.parent == demo["organization"]
    assert existing.name == "Demo User"
    assert existing.check_password("demo")


OUT_OF_REACH = [
    ("provider", "organization2"),
    ("provider", "admin"),
    ("organization", "provider"),
    ("organization", "organization2"),
    ("organization2", "organization"),
]


@pytest.mark.parametrize(("persona", "parent"), OUT_OF_REACH)
def test_add_child_under_an_account_out_of_reach_is_404_and_creates_nothing(persona, parent, demo, client):
    client.force_login(demo[persona])
    url = reverse("accounts:add_child", args=[demo[parent].pk])
    kind = demo[parent].child_kinds[0]

    assert client.get(url).status_code == 404
    assert client.post(url, child_form(kind)).status_code == 404
    assert not Account.objects.filter(username="newchild").exists()


def test_add_child_under_another_administrators_tree_is_404(demo, client):
    rival = AdministratorFactory(username="rivaladmin")
    client.force_login(demo["admin"])
    url = reverse("accounts:add_child", args=[rival.pk])

    assert client.get(url).status_code == 404
    assert client.post(url, child_form(Kind.ORGANIZATION)).status_code == 404
    assert not rival.children.exists()


def test_add_child_under_an_account_that_does_not_exist_is_404(demo, client):
    client.force_login(demo["admin"])
    missing = Account.objects.order_by("-pk").first().pk + 100

    assert client.get(reverse("accounts:add_child", args=[missing])).status_code == 404


@pytest.mark.parametrize(
    ("persona", "target"), [("user", "user"), ("organization", "user"), ("admin", "user2")]
)
def test_add_child_page_of_a_user_account_is_404(persona, target, demo, client):
    client.force_login(demo[persona])
    url = reverse("accounts:add_child", args=[demo[target].pk])

    assert client.get(url).status_code == 404
    assert client.post(url, child_form(Kind.USER)).status_code == 404
    assert Account.objects.count() == len(DEMO_PERSONAS)


def test_add_child_checks_on_the_server_shows_an_error_summary_and_offers_cancel(client, demo):
    parent = demo["organization"]
    client.force_login(parent)

    response = client.post(
        reverse("accounts:add_child", args=[parent.pk]), {"kind": Kind.USER, "username": "x"}
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "novalidate" in html and 'id="error-summary"' in html
    assert 'href="#id_email"' in html and "is-invalid" in html
    assert f'<a class="btn btn-secondary" href="{parent.get_absolute_url()}">Cancel</a>' in html
    assert not Account.objects.filter(username="x").exists()
