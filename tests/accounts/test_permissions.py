import pytest
from django.http import Http404
from django.urls import reverse

from accounts.models import Account
from accounts.permissions import can_manage_account
from accounts.selectors import breadcrumb, manageable_account
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


def test_manageable_account_reads_the_chain_as_select_related_does(demo, django_assert_num_queries):
    """One query (compiled once, portal.speedups.prepared) gives the account and its parents
    with every field the ORM's select_related gives, the root's parent known to be None."""
    admin = demo["admin"]
    for persona in DEMO_PERSONAS:
        expected = Account.objects.select_related("parent__parent__parent").get(pk=demo[persona].pk)
        with django_assert_num_queries(1):
            account = manageable_account(admin, demo[persona].pk)
            trail = [account]
            while trail[-1].parent is not None:
                trail.append(trail[-1].parent)
        expected_trail = [expected]
        while expected_trail[-1].parent is not None:
            expected_trail.append(expected_trail[-1].parent)
        fields = Account._meta.concrete_fields
        assert [[getattr(a, f.attname) for f in fields] for a in trail] == [
            [getattr(a, f.attname) for f in fields] for a in expected_trail
        ]
        assert len(trail) == len(breadcrumb(admin, account)) == len(breadcrumb(admin, expected))
        assert not account._state.adding and account._state.db == "default"


@pytest.mark.parametrize("pk", [0, -1, 2**63, 10**30])
def test_manageable_account_of_a_missing_key_is_404(pk, demo):
    with pytest.raises(Http404):
        manageable_account(demo["admin"], pk)
