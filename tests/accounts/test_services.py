"""The account services: each checks the actor, runs in one transaction, writes one
AccountEvent, and refuses with PermissionDenied or a ValidationError code, writing nothing."""

from __future__ import annotations

import pytest
from allauth.socialaccount.models import SocialAccount
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import Account, AccountAction, AccountEvent, Kind
from accounts.services import (
    IdentityLinkedElsewhere,
    account_create,
    account_set_active,
    account_update,
    identity_link,
    identity_unlink,
)
from accounts.signals import account_deactivated
from portal.audit import COMMAND_LINE, AuditSource, Origin

PASSWORD = "Correct-horse-battery-9"
PORTAL = Origin(AuditSource.PORTAL, "192.0.2.7")


def create(actor: Account, parent: Account, kind: str = Kind.USER, **overrides) -> Account:
    arguments = {
        "username": "newchild",
        "password": PASSWORD,
        "name": "New Child",
        "email": "child@example.com",
        "phone": "",
        "origin": PORTAL,
    }
    arguments.update(overrides)
    return account_create(actor=actor, parent=parent, kind=kind, **arguments)


@pytest.fixture
def deactivations():
    """The account_deactivated signals sent during the test, as their keyword arguments."""
    sent = []

    def receiver(sender, **kwargs):
        sent.append({"sender": sender, **kwargs})

    account_deactivated.connect(receiver)
    yield sent
    account_deactivated.disconnect(receiver)


def nothing_written(accounts_before: int) -> bool:
    return Account.objects.count() == accounts_before and not AccountEvent.objects.exists()


# --- account_create ---------------------------------------------------------------------------


def test_account_create_adds_the_child_and_one_event(demo):
    child = create(demo["provider"], demo["organization"])

    event = AccountEvent.objects.get()
    assert child.parent == demo["organization"]
    assert (event.action, event.source, event.ip_address) == (AccountAction.CREATE, "portal", "192.0.2.7")
    assert (event.actor, event.actor_username) == (demo["provider"], "provider")
    assert (event.account, event.account_username, event.parent) == (child, "newchild", demo["organization"])
    assert event.details == {"kind": Kind.USER}
    assert PASSWORD not in str(event.details)


def test_account_create_below_an_account_out_of_reach_is_refused_and_writes_nothing(demo):
    before = Account.objects.count()

    with pytest.raises(PermissionDenied):
        create(demo["provider"], demo["organization2"])

    assert nothing_written(before)


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"kind": Kind.ORGANIZATION}, "kind", "kind_not_allowed"),
        ({"password": "demo"}, "password", None),
        ({"email": "not an address"}, "email", "invalid"),
        ({"username": "user"}, "username", "unique"),
    ],
)
def test_account_create_with_invalid_data_says_why_and_writes_nothing(overrides, field, code, demo):
    before = Account.objects.count()

    with pytest.raises(ValidationError) as refused:
        create(demo["organization"], demo["organization"], **overrides)

    assert field in refused.value.error_dict
    if code:
        assert code in [error.code for error in refused.value.error_dict[field]]
    assert nothing_written(before)


# --- account_update ---------------------------------------------------------------------------


def test_account_update_records_which_fields_changed(demo):
    user = demo["user"]

    account_update(
        actor=demo["organization"], account=user, origin=PORTAL, name="Renamed", email=user.email, phone=""
    )

    user.refresh_from_db()
    event = AccountEvent.objects.get()
    assert user.name == "Renamed"
    assert (event.action, event.account, event.parent) == (AccountAction.UPDATE, user, demo["organization"])
    assert event.details == {"fields": ["name"]}


def test_account_update_changing_nothing_writes_no_event(demo):
    account_update(actor=demo["user"], account=demo["user"], origin=PORTAL, name=demo["user"].name)

    assert not AccountEvent.objects.exists()


def test_account_update_out_of_reach_is_refused_and_writes_nothing(demo):
    with pytest.raises(PermissionDenied):
        account_update(actor=demo["organization2"], account=demo["user"], origin=PORTAL, name="Taken")

    demo["user"].refresh_from_db()
    assert demo["user"].name != "Taken"
    assert not AccountEvent.objects.exists()


def test_account_update_with_an_invalid_value_writes_nothing(demo):
    with pytest.raises(ValidationError) as refused:
        account_update(
            actor=demo["admin"], account=demo["user"], origin=PORTAL, name="Fine", email="not an address"
        )

    assert "email" in refused.value.error_dict
    demo["user"].refresh_from_db()
    assert demo["user"].name != "Fine"
    assert not AccountEvent.objects.exists()


@pytest.mark.parametrize("field", ["username", "kind", "parent", "password", "is_active"])
def test_account_update_edits_no_field_outside_its_list(field, demo):
    with pytest.raises(TypeError):
        account_update(actor=demo["admin"], account=demo["user"], origin=PORTAL, **{field: "x"})


# --- account_set_active -----------------------------------------------------------------------


def test_deactivating_records_it_and_sends_the_signal_in_the_transaction(demo, deactivations):
    user = demo["user"]

    account_set_active(actor=demo["organization"], account=user, active=False, origin=COMMAND_LINE)

    user.refresh_from_db()
    event = AccountEvent.objects.get()
    assert not user.is_active
    assert (event.action, event.source, event.account) == (AccountAction.DEACTIVATE, "cli", user)
    assert len(deactivations) == 1
    sent = deactivations[0]
    assert (sent["sender"], sent["account"], sent["actor"], sent["origin"]) == (
        Account,
        user,
        demo["organization"],
        COMMAND_LINE,
    )


def test_reactivating_records_it_and_sends_no_deactivation(demo, deactivations):
    Account.objects.filter(pk=demo["user"].pk).update(is_active=False)

    account_set_active(actor=demo["organization"], account=demo["user"], active=True, origin=PORTAL)

    assert Account.objects.get(pk=demo["user"].pk).is_active
    assert AccountEvent.objects.get().action == AccountAction.REACTIVATE
    assert deactivations == []


def test_setting_the_state_it_already_has_writes_nothing(demo, deactivations):
    account_set_active(actor=demo["organization"], account=demo["user"], active=True, origin=PORTAL)

    assert not AccountEvent.objects.exists()
    assert deactivations == []


@pytest.mark.parametrize("persona", ["admin", "organization", "user"])
def test_nobody_deactivates_their_own_account(persona, demo, deactivations):
    with pytest.raises(ValidationError) as refused:
        account_set_active(actor=demo[persona], account=demo[persona], active=False, origin=PORTAL)

    assert refused.value.code == "cannot_deactivate_self"
    assert Account.objects.get(pk=demo[persona].pk).is_active
    assert not AccountEvent.objects.exists()
    assert deactivations == []


@pytest.mark.parametrize(("actor", "target"), [("user", "organization"), ("organization2", "user")])
def test_deactivating_an_account_out_of_reach_is_refused(actor, target, demo, deactivations):
    with pytest.raises(PermissionDenied):
        account_set_active(actor=demo[actor], account=demo[target], active=False, origin=PORTAL)

    assert Account.objects.get(pk=demo[target].pk).is_active
    assert not AccountEvent.objects.exists()
    assert deactivations == []


def test_a_failing_receiver_undoes_the_deactivation(demo):
    def refuse(sender, **kwargs):
        raise RuntimeError("could not revoke")

    account_deactivated.connect(refuse)
    try:
        with pytest.raises(RuntimeError):
            account_set_active(actor=demo["organization"], account=demo["user"], active=False, origin=PORTAL)
    finally:
        account_deactivated.disconnect(refuse)

    assert Account.objects.get(pk=demo["user"].pk).is_active
    assert not AccountEvent.objects.exists()


# --- identity_link / identity_unlink -------------------------------------------------------------


def test_identity_link_links_to_the_actor_and_records_it(demo):
    identity, linked = identity_link(actor=demo["user"], provider="mock", uid="sub-1", origin=PORTAL)

    event = AccountEvent.objects.get()
    assert linked
    assert identity.user == demo["user"]
    assert (event.action, event.account, event.parent) == (
        AccountAction.LINK_IDENTITY,
        demo["user"],
        demo["organization"],
    )
    assert event.details == {"provider": "mock", "uid": "sub-1"}


def test_identity_link_of_an_identity_already_linked_here_changes_nothing(demo):
    SocialAccount.objects.create(user=demo["user"], provider="mock", uid="sub-1")

    identity, linked = identity_link(actor=demo["user"], provider="mock", uid="sub-1", origin=PORTAL)

    assert not linked
    assert SocialAccount.objects.get() == identity
    assert not AccountEvent.objects.exists()


def test_identity_link_of_an_identity_linked_to_another_account_is_refused(demo):
    SocialAccount.objects.create(user=demo["organization"], provider="mock", uid="sub-1")

    with pytest.raises(IdentityLinkedElsewhere) as refused:
        identity_link(actor=demo["user"], provider="mock", uid="sub-1", origin=PORTAL)

    assert refused.value.code == "identity_linked_elsewhere"
    assert SocialAccount.objects.get().user == demo["organization"]
    assert not AccountEvent.objects.exists()


def test_a_deactivated_account_links_nothing(demo):
    Account.objects.filter(pk=demo["user"].pk).update(is_active=False)
    demo["user"].refresh_from_db()

    with pytest.raises(PermissionDenied):
        identity_link(actor=demo["user"], provider="mock", uid="sub-1", origin=PORTAL)

    assert not SocialAccount.objects.exists()
    assert not AccountEvent.objects.exists()


def test_identity_unlink_removes_it_and_records_it(demo):
    identity = SocialAccount.objects.create(user=demo["user"], provider="mock", uid="sub-1")

    identity_unlink(actor=demo["user"], identity_id=identity.pk, origin=PORTAL)

    event = AccountEvent.objects.get()
    assert not SocialAccount.objects.exists()
    assert (event.action, event.account) == (AccountAction.UNLINK_IDENTITY, demo["user"])
    assert event.details == {"provider": "mock", "uid": "sub-1"}


@pytest.mark.parametrize("actor", ["organization", "admin", "user2"])
def test_nobody_unlinks_someone_elses_identity_even_from_above(actor, demo):
    identity = SocialAccount.objects.create(user=demo["user"], provider="mock", uid="sub-1")

    with pytest.raises(PermissionDenied):
        identity_unlink(actor=demo[actor], identity_id=identity.pk, origin=PORTAL)

    assert SocialAccount.objects.exists()
    assert not AccountEvent.objects.exists()
