"""The account pages as a browser sees them (design §2): every page but the login page is
private; signing in and out."""

from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from accounts.models import Account, Kind
from tests.accounts.helpers import login_redirect
from tests.helpers import DEMO_PERSONAS, child_form

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
