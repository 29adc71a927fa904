"""The account pages, sign-in and the Django admin for accounts, as a browser sees them (design §2)."""

from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from accounts.models import Account, Kind
from apps_registry.models import Api
from tests.factories import AdministratorFactory, AppFactory
from tests.helpers import ADD, CHANGE, CHANGELIST, DEMO_PERSONAS, PASSWORD, admin_add_form, child_form


class Page(HTMLParser):
    """The links, the <select> options and the visible text of an HTML page (entities decoded)."""

    def __init__(self, html: str):
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self.options: dict[str, list[tuple[str, str]]] = {}
        self._link: list | None = None
        self._select: str | None = None
        self._option: list | None = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "a":
            self._link = [attributes.get("href", ""), ""]
        elif tag == "select":
            self._select = attributes.get("name", "")
            self.options.setdefault(self._select, [])
        elif tag == "option" and self._select is not None:
            self._option = [attributes.get("value", ""), ""]

    def handle_endtag(self, tag):
        if tag == "a" and self._link is not None:
            self.links.append((self._link[0], " ".join(self._link[1].split())))
            self._link = None
        elif tag == "option" and self._option is not None:
            self.options[self._select].append((self._option[0], self._option[1].strip()))
            self._option = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data):
        if self._link is not None:
            self._link[1] += data
        if self._option is not None:
            self._option[1] += data


def page(response) -> Page:
    return Page(response.content.decode())


def hrefs(response) -> set[str]:
    return {href for href, _text in page(response).links}


def login_redirect(path: str) -> str:
    return f"{reverse('login')}?next={path}"


# --- Every page but the login page is private ----------------------------------------------


PRIVATE_PAGES = [
    ("accounts:me", None),
    ("accounts:detail", "admin"),
    ("accounts:detail", "user"),
    ("accounts:add_child", "organization"),
    ("apps_registry:list", "provider"),
    ("apps_registry:integration", None),
]


@pytest.mark.parametrize(("url_name", "persona"), PRIVATE_PAGES)
def test_anonymous_visitor_is_sent_to_login_from_every_private_page(url_name, persona, demo, client):
    url = reverse(url_name, args=[demo[persona].pk] if persona else [])

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == login_redirect(url)


def test_anonymous_post_to_add_child_is_sent_to_login_and_creates_nothing(demo, client):
    url = reverse("accounts:add_child", args=[demo["organization"].pk])

    response = client.post(url, child_form(Kind.USER))

    assert response.status_code == 302
    assert response["Location"] == login_redirect(url)
    assert not Account.objects.filter(username="newchild").exists()


def test_site_root_sends_anonymous_visitor_to_the_login_page(demo, client):
    response = client.get(reverse("home"))

    assert response.status_code == 302
    assert urlsplit(response["Location"]).path == reverse("login")


def test_site_root_sends_signed_in_account_to_its_own_page(demo, client):
    client.force_login(demo["provider"])

    response = client.get(reverse("home"))

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:detail", args=[demo["provider"].pk])


def test_login_page_is_public(client, db):
    response = client.get(reverse("login"))

    assert response.status_code == 200
    assert 'name="username"' in response.content.decode()
    assert 'name="password"' in response.content.decode()


def test_admin_login_page_is_public(client, db):
    assert client.get(reverse("admin:login")).status_code == 200


# --- Signing in and out ----------------------------------------------------------------------


@pytest.mark.parametrize("persona", DEMO_PERSONAS)
def test_login_form_lands_on_the_accounts_own_home_page(persona, demo, client):
    response = client.post(reverse("login"), {"username": persona, "password": "demo"}, follow=True)

    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == reverse("accounts:detail", args=[demo[persona].pk])
    assert response.context["user"] == demo[persona]
    assert f"Signed in as <strong>{persona}</strong>" in response.content.decode()


def test_login_returns_to_the_page_that_was_asked_for(demo, client):
    wanted = reverse("apps_registry:list", args=[demo["user"].pk])

    response = client.post(reverse("login"), {"username": "organization", "password": "demo", "next": wanted})

    assert response.status_code == 302
    assert response["Location"] == wanted


def test_login_ignores_a_next_url_on_another_site(demo, client):
    response = client.post(
        reverse("login"),
        {"username": "user", "password": "demo", "next": "https://evil.example/phish"},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == reverse("accounts:detail", args=[demo["user"].pk])


def test_login_with_a_wrong_password_shows_an_error_and_stays_on_the_login_page(demo, client):
    response = client.post(reverse("login"), {"username": "admin", "password": "wrong"})

    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert not response.context["user"].is_authenticated
    assert client.get(reverse("accounts:me"))["Location"] == login_redirect(reverse("accounts:me"))


def test_login_of_a_deactivated_account_is_refused(demo, client):
    Account.objects.filter(pk=demo["user"].pk).update(is_active=False)

    response = client.post(reverse("login"), {"username": "user", "password": "demo"})

    assert response.status_code == 200
    assert not response.context["user"].is_authenticated


def test_signed_in_account_opening_the_login_page_goes_to_its_own_page(demo, client):
    client.force_login(demo["organization2"])

    response = client.get(reverse("login"), follow=True)

    assert response.redirect_chain[-1][0] == reverse("accounts:detail", args=[demo["organization2"].pk])


def test_logout_is_a_post_and_afterwards_pages_ask_for_login_again(demo, client):
    client.post(reverse("login"), {"username": "provider", "password": "demo"})
    me = reverse("accounts:me")
    detail = reverse("accounts:detail", args=[demo["provider"].pk])
    assert client.get(detail).status_code == 200

    assert client.get(reverse("logout")).status_code == 405  # a link cannot sign anyone out
    assert client.get(detail).status_code == 200

    response = client.post(reverse("logout"))

    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert client.get(me)["Location"] == login_redirect(me)
    assert client.get(detail)["Location"] == login_redirect(detail)


def test_every_page_has_a_sign_out_button_posting_to_logout(demo, client):
    client.force_login(demo["user"])

    content = client.get(reverse("accounts:detail", args=[demo["user"].pk])).content.decode()

    assert f'<form method="post" action="{reverse("logout")}"' in content


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
