import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.models import Account, Kind, child_kinds
from accounts.validators import validate_phone
from tests.factories import AdministratorFactory, UserFactory

# design §2, the parent column of the table.
ALLOWED = {
    (Kind.SERVICE_PROVIDER, Kind.ADMINISTRATOR),
    (Kind.ORGANIZATION, Kind.ADMINISTRATOR),
    (Kind.ORGANIZATION, Kind.SERVICE_PROVIDER),
    (Kind.USER, Kind.ORGANIZATION),
}
NON_ROOT_KINDS = [Kind.SERVICE_PROVIDER, Kind.ORGANIZATION, Kind.USER]
PAIRS = [(child, parent) for child in NON_ROOT_KINDS for parent in Kind]


@pytest.fixture
def one_of_each(db) -> dict[str, Account]:
    user = UserFactory()
    organization = user.parent
    provider = organization.parent
    return {
        Kind.ADMINISTRATOR: provider.parent,
        Kind.SERVICE_PROVIDER: provider,
        Kind.ORGANIZATION: organization,
        Kind.USER: user,
    }


def test_child_kinds_follow_the_table():
    assert child_kinds(Kind.ADMINISTRATOR) == [Kind.SERVICE_PROVIDER, Kind.ORGANIZATION]
    assert child_kinds(Kind.SERVICE_PROVIDER) == [Kind.ORGANIZATION]
    assert child_kinds(Kind.ORGANIZATION) == [Kind.USER]
    assert child_kinds(Kind.USER) == []


@pytest.mark.parametrize(("kind", "parent_kind"), PAIRS)
def test_model_validation_enforces_the_parent_table(kind, parent_kind, one_of_each):
    account = Account(
        kind=kind, parent=one_of_each[parent_kind], username="new", name="New", email="n@x.example"
    )
    if (kind, parent_kind) in ALLOWED:
        account.full_clean(exclude=["password"])
    else:
        with pytest.raises(ValidationError) as error:
            account.full_clean(exclude=["password"])
        assert error.value.error_dict["parent"][0].code == "invalid_parent"


@pytest.mark.parametrize(("kind", "parent_kind"), PAIRS)
def test_database_enforces_the_parent_table(kind, parent_kind, one_of_each):
    """Even a write that skips model validation cannot break the table."""
    parent = one_of_each[parent_kind]
    if (kind, parent_kind) in ALLOWED:
        Account.objects.create(kind=kind, parent=parent, username="new", name="New", email="n@x.example")
        return
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.create(kind=kind, parent=parent, username="new", name="New", email="n@x.example")
    assert not Account.objects.filter(username="new").exists()


def test_database_refuses_moving_an_account_under_a_wrong_parent(one_of_each):
    user = one_of_each[Kind.USER]
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.filter(pk=user.pk).update(parent=one_of_each[Kind.ADMINISTRATOR])


def test_database_refuses_changing_an_accounts_kind(one_of_each):
    organization = one_of_each[Kind.ORGANIZATION]
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.filter(pk=organization.pk).update(kind=Kind.USER)
    organization.refresh_from_db()
    assert organization.kind == Kind.ORGANIZATION


def test_only_administrators_are_roots(db):
    # A root that is not an Administrator, then an Administrator with a parent.
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.create(
            kind=Kind.ORGANIZATION, parent=None, username="o", name="O", email="o@x.example"
        )
    admin = AdministratorFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.create(
            kind=Kind.ADMINISTRATOR, parent=admin, username="a", name="A", email="a@x.example"
        )


def test_model_validation_requires_a_parent_below_administrator(db):
    account = Account(kind=Kind.USER, username="orphan", name="Orphan", email="o@x.example")
    with pytest.raises(ValidationError) as error:
        account.full_clean(exclude=["password"])
    assert error.value.error_dict["parent"][0].code == "parent_required"


def test_only_administrators_are_staff(one_of_each):
    assert {kind for kind, account in one_of_each.items() if account.is_staff} == {Kind.ADMINISTRATOR}


@pytest.mark.parametrize("phone", ["+1 (555) 010-2000", "0040.21.555.0100", "555"])
def test_valid_phone_numbers(phone):
    validate_phone(phone)


@pytest.mark.parametrize("phone", ["call me", "12", "+", "1+2345", "555\n0100", "5550100\n", "++15550100"])
def test_invalid_phone_numbers(phone):
    with pytest.raises(ValidationError) as error:
        validate_phone(phone)
    assert error.value.code == "invalid_phone"


def test_createsuperuser_makes_a_root_administrator(db):
    account = Account.objects.create_superuser("root", "pw", email="root@x.example")
    assert account.kind == Kind.ADMINISTRATOR and account.parent is None and account.is_superuser
    assert account.check_password("pw")
