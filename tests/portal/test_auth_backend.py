"""portal.speedups.auth.ModelBackend: Django's ModelBackend with the signed-in account's read
compiled once. It answers what Django's answers, and a deactivated or removed account is signed
out on its very next request."""

import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.auth.backends import ModelBackend as DjangoBackend
from django.urls import reverse

from accounts.models import Account
from portal.speedups.auth import ModelBackend

pytestmark = pytest.mark.django_db

FIELDS = Account._meta.concrete_fields


def as_values(account):
    return None if account is None else [getattr(account, field.attname) for field in FIELDS]


def test_the_portal_uses_it_after_django_axes():
    assert settings.AUTHENTICATION_BACKENDS == [
        "axes.backends.AxesStandaloneBackend",
        "portal.speedups.auth.ModelBackend",
    ]


def test_get_user_answers_what_djangos_answers(demo):
    inactive = demo["user2"]
    Account.objects.filter(pk=inactive.pk).update(is_active=False)
    for pk in [*(account.pk for account in demo.values()), 0, -5, 10**6, 2**63, 10**30]:
        ours = ModelBackend().get_user(pk)
        assert as_values(ours) == as_values(DjangoBackend().get_user(pk))
        assert ours is None or (isinstance(ours, Account) and not ours._state.adding)
    assert ModelBackend().get_user(inactive.pk) is None
    assert ModelBackend().get_user(demo["user"].pk).pk == demo["user"].pk


def test_signing_in_with_a_password_names_it(client, demo):
    response = client.post(reverse("login"), {"username": "organization", "password": "demo"})
    assert response.status_code == 302
    assert client.session[BACKEND_SESSION_KEY] == "portal.speedups.auth.ModelBackend"
    page = reverse("accounts:detail", args=[demo["organization"].pk])
    assert client.get(page).status_code == 200


@pytest.mark.parametrize("how", ["deactivated", "removed"])
def test_a_signed_in_account_deactivated_or_removed_is_signed_out_at_once(how, client, demo):
    account = demo["user2"]
    page = reverse("accounts:detail", args=[account.pk])
    client.force_login(account)
    assert client.get(page).status_code == 200
    if how == "deactivated":
        Account.objects.filter(pk=account.pk).update(is_active=False)
    else:
        Account.objects.filter(pk=account.pk).delete()
    response = client.get(page)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
