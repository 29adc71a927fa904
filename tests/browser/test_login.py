import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_demo_account_signs_in_and_sees_its_home_page(page, demo):
    page.goto("/")
    assert "/accounts/login/" in page.url
    page.get_by_label("Username").fill("organization")
    page.get_by_label("Password").fill("demo")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/accounts/**")
    expect(page.get_by_text("Signed in as")).to_be_visible()
    expect(page.get_by_role("link", name="SystemAPI & UnifiedAPI").first).to_be_visible()


def test_wrong_password_keeps_the_user_on_the_login_page(page, demo):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("organization")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Please enter a correct username and password")).to_be_visible()
    assert "/accounts/login/" in page.url
