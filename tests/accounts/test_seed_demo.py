"""`manage.py seed_demo`: the demo hierarchy with known logins (design §7), safe to run again."""

import io

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Account, Kind
from tests.factories import AdministratorFactory, OrganizationFactory

# username -> (kind, parent username), the hierarchy the demo promises.
EXPECTED = {
    "admin": (Kind.ADMINISTRATOR, None),
    "provider": (Kind.SERVICE_PROVIDER, "admin"),
    "organization": (Kind.ORGANIZATION, "provider"),
    "user": (Kind.USER, "organization"),
    "organization2": (Kind.ORGANIZATION, "admin"),
    "user2": (Kind.USER, "organization2"),
}


def seed(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def hierarchy() -> dict[str, tuple[str, str | None]]:
    return {
        account.username: (account.kind, account.parent.username if account.parent else None)
        for account in Account.objects.select_related("parent")
    }


def test_seed_demo_creates_the_six_demo_accounts_in_their_places(db):
    seed("--force")

    assert hierarchy() == EXPECTED
    assert Account.objects.get(username="provider").name == "Demo Service Provider"
    assert Account.objects.get(username="user2").email == "user2@demo.example"


def test_seed_demo_is_idempotent(db):
    first = seed("--force")
    pks = dict(Account.objects.values_list("username", "pk"))

    second = seed("--force")

    assert Account.objects.count() == 6
    assert hierarchy() == EXPECTED
    assert dict(Account.objects.values_list("username", "pk")) == pks
    assert "(6 created)" in first
    assert "(0 created)" in second


def test_seed_demo_keeps_other_accounts_and_fills_in_missing_demo_ones(db):
    other = OrganizationFactory(username="acme")
    others = {other.username, other.parent.username, other.parent.parent.username}
    seed("--force")
    Account.objects.filter(username="user2").delete()

    seed("--force")

    seeded = hierarchy()
    assert {username: seeded[username] for username in EXPECTED} == EXPECTED
    assert set(seeded) == set(EXPECTED) | others
    assert seeded["acme"] == (Kind.ORGANIZATION, other.parent.username)


def test_seed_demo_prints_each_login(db):
    output = seed("--force")

    lines = output.splitlines()
    for username, (kind, parent) in EXPECTED.items():
        line = next(line for line in lines if line.split() and line.split()[0] == username)
        assert "/ demo" in line
        assert Kind(kind).label in line
        if parent:
            assert f"under {parent}" in line


@pytest.mark.parametrize("username", list(EXPECTED))
def test_seed_demo_accounts_sign_in_with_demo_by_default(username, db):
    seed("--force")

    assert Account.objects.get(username=username).check_password("demo")


def test_seed_demo_password_option_sets_every_password(db):
    output = seed("--force", "--password", "s3cret-Demo")

    for account in Account.objects.all():
        assert account.check_password("s3cret-Demo")
        assert not account.check_password("demo")
    assert "/ s3cret-Demo" in output


def test_seed_demo_run_again_with_another_password_resets_the_passwords(db):
    seed("--force")

    seed("--force", "--password", "second-Run-7")

    for account in Account.objects.all():
        assert account.check_password("second-Run-7")


def test_seed_demo_refuses_with_debug_off(db, settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="--force"):
        seed()

    assert not Account.objects.exists()


def test_seed_demo_with_debug_off_runs_with_force(db, settings):
    settings.DEBUG = False

    seed("--force")

    assert hierarchy() == EXPECTED


def test_seed_demo_runs_without_force_when_debug_is_on(db, settings):
    settings.DEBUG = True

    seed()

    assert hierarchy() == EXPECTED


def test_seed_demo_refuses_an_account_named_like_a_demo_one_with_another_kind(db):
    # "provider" exists, but as an Organization (its own parents are not demo accounts).
    impostor = OrganizationFactory(username="provider")

    with pytest.raises(CommandError, match="provider"):
        seed("--force")

    impostor.refresh_from_db()
    assert impostor.kind == Kind.ORGANIZATION
    assert impostor.check_password("password")
    # Nothing is half-created: "admin", made before the clash was found, is rolled back.
    assert not Account.objects.filter(username="admin").exists()


def test_seed_demo_refuses_a_demo_name_with_another_kind_even_under_the_right_parent(db):
    # "admin" is a real Administrator (reused); "provider" sits below it, but as an Organization.
    admin = AdministratorFactory(username="admin")
    OrganizationFactory(username="provider", parent=admin)

    with pytest.raises(CommandError, match="provider"):
        seed("--force")

    assert Account.objects.get(username="provider").kind == Kind.ORGANIZATION
    assert not Account.objects.filter(username__in=["organization", "user", "organization2"]).exists()
    # The refused run changes nothing, not even the password of the reused "admin".
    assert Account.objects.get(username="admin").check_password("password")


def test_seed_demo_refuses_an_account_named_like_a_demo_one_under_another_parent(db):
    rival = AdministratorFactory(username="rival")
    OrganizationFactory(username="organization2", parent=rival)

    with pytest.raises(CommandError, match="organization2"):
        seed("--force")

    assert not Account.objects.filter(username__in=["admin", "provider", "user2"]).exists()
    assert Account.objects.get(username="organization2").parent == rival


def test_seed_demo_refuses_a_demo_administrator_name_taken_by_another_kind(db):
    OrganizationFactory(username="admin")

    with pytest.raises(CommandError, match="admin"):
        seed("--force")

    assert Account.objects.get(username="admin").kind == Kind.ORGANIZATION
    assert not Account.objects.filter(username="provider").exists()


def test_seed_demo_adds_the_non_root_accounts_through_the_service_audited(db):
    from accounts.models import AccountAction, AccountEvent
    from portal.audit import AuditSource

    seed("--force")

    events = AccountEvent.objects.order_by("pk")
    assert [(e.account_username, e.action, e.source, e.actor_username) for e in events] == [
        (username, AccountAction.CREATE, AuditSource.CLI, "admin")
        for username, (_kind, parent) in EXPECTED.items()
        if parent is not None
    ]
    # The demo password works although the service's validators refuse it.
    assert Account.objects.get(username="user2").check_password("demo")
    # A second run adds nobody and records nothing more.
    seed("--force")
    assert AccountEvent.objects.count() == 5
