"""The Django admin (issue 13, items 4 and 5, and the "out of reach is 404" promise): no filter
on a secret column, no django-axes records, and an object out of reach is a 404."""

import io

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.urls import reverse

from tests.factories import AdministratorFactory, AppFactory, OrganizationFactory

pytestmark = pytest.mark.django_db

ACCOUNTS = "admin:accounts_account_changelist"
APPS = "admin:apps_registry_app_changelist"


@pytest.fixture
def root(client, demo):
    client.force_login(demo["admin"])
    return client


@pytest.mark.parametrize(
    ("changelist", "lookup"),
    [
        (ACCOUNTS, "password__regex"),
        (ACCOUNTS, "password__startswith"),
        (ACCOUNTS, "password"),
        (ACCOUNTS, "parent__password__regex"),
        (APPS, "encrypted_secret__regex"),
        (APPS, "encrypted_secret__gt"),
        (APPS, "owner__password__regex"),
        (APPS, "owner__parent__password__startswith"),
        (APPS, "accesstoken__token_checksum__startswith"),
        (APPS, "secret_version"),
    ],
)
def test_a_filter_on_a_secret_column_is_refused_with_400(root, demo_apps, changelist, lookup):
    response = root.get(reverse(changelist), {lookup: "^pbkdf2"})
    assert response.status_code == 400


@pytest.mark.parametrize(("changelist", "lookup"), [(ACCOUNTS, "kind__exact"), (APPS, "api__exact")])
def test_ordinary_filters_still_work(root, demo_apps, changelist, lookup):
    assert root.get(reverse(changelist), {lookup: "user"}).status_code == 200


@pytest.mark.parametrize("model", ["accessattempt", "accessfailurelog", "accesslog"])
def test_django_axes_records_are_not_in_the_admin(root, model):
    assert root.get(f"/admin/axes/{model}/").status_code == 404
    assert b"/admin/axes/" not in root.get("/admin/").content


def test_an_operator_lifts_a_lockout_with_axes_reset_username(client, demo):
    def sign_in(password):
        return client.post("/accounts/login/", {"username": "organization", "password": password})

    for _ in range(5):
        sign_in("wrong")
    assert sign_in("demo").status_code == 429
    assert AccessAttempt.objects.exists()

    call_command("axes_reset_username", "organization", stdout=io.StringIO())

    assert not AccessAttempt.objects.exists()
    assert sign_in("demo").status_code == 302


@pytest.mark.parametrize("page", ["change", "delete", "history"])
def test_an_object_out_of_reach_is_a_404_not_a_redirect(root, page):
    elsewhere = OrganizationFactory()
    theirs = AppFactory(owner=AdministratorFactory())
    targets = [("accounts_account", elsewhere.pk), ("apps_registry_app", theirs.pk)]
    if page == "delete":
        targets = targets[1:]  # accounts are never deleted in the admin: 403 for any id
    for name, pk in targets:
        response = root.get(reverse(f"admin:{name}_{page}", args=[pk]))
        assert response.status_code == 404, (name, page)
        missing = root.get(reverse(f"admin:{name}_{page}", args=[10**9]))
        assert missing.status_code == 404, (name, page)


def test_the_admin_answers_an_account_that_may_not_use_it_with_the_portals_403(client, demo):
    client.force_login(demo["user"])

    response = client.get("/admin/", follow=True)

    assert response.status_code == 403
    assert "403.html" in [template.name for template in response.templates]
    assert 'name="password"' not in response.content.decode()


def test_the_admin_sign_in_still_serves_visitors_and_lets_staff_in(client, demo):
    visitor = client.get("/admin/login/")
    assert visitor.status_code == 200 and 'name="password"' in visitor.content.decode()

    client.force_login(demo["admin"])
    assert client.get("/admin/login/").status_code == 302
    assert client.get("/admin/").status_code == 200
