import pytest
from django.urls import reverse

from accounts.models import Account
from accounts.permissions import can_manage_account
from apps_registry.models import App
from tests.helpers import DEMO_PERSONAS, REACH

MATRIX = [
    (persona, target, target in REACH[persona]) for persona in DEMO_PERSONAS for target in DEMO_PERSONAS
]


@pytest.mark.parametrize(("persona", "target", "allowed"), MATRIX)
def test_permission_matrix(persona, target, allowed, demo, demo_apps, client):
    actor, account, app = demo[persona], demo[target], demo_apps[target]
    client.force_login(actor)
    expected = 200 if allowed else 404

    assert can_manage_account(actor, account) is allowed
    assert Account.objects.manageable_by(actor).filter(pk=account.pk).exists() is allowed
    assert App.objects.manageable_by(actor).filter(pk=app.pk).exists() is allowed
    assert client.get(reverse("accounts:detail", args=[account.pk])).status_code == expected
    assert client.get(reverse("apps_registry:list", args=[account.pk])).status_code == expected
    add_child = client.get(reverse("accounts:add_child", args=[account.pk]))
    assert add_child.status_code == (expected if account.child_kinds else 404)


def test_manageable_by_is_one_query_whatever_the_depth(demo, django_assert_num_queries):
    for persona in DEMO_PERSONAS:
        with django_assert_num_queries(1):
            usernames = {account.username for account in Account.objects.manageable_by(demo[persona])}
        assert usernames == REACH[persona]


def test_can_manage_account_costs_at_most_one_query(demo, django_assert_max_num_queries):
    with django_assert_max_num_queries(1):
        assert can_manage_account(demo["admin"], demo["user"])
    with django_assert_max_num_queries(0):
        assert can_manage_account(demo["organization"], demo["user"])  # a direct child


def test_an_inactive_account_manages_nothing(demo):
    admin = demo["admin"]
    admin.is_active = False
    assert not can_manage_account(admin, admin)
    assert not Account.objects.manageable_by(admin).exists()
