"""Authorized Apps (design §8): the grant an account gave, Revoke access through the
service, deactivation and removal, the selector."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied

from accounts.services import account_set_active
from apps_registry.exceptions import AppNotAuthorized
from apps_registry.models import Api, AppAuthorization, AuditAction, AuditEvent
from apps_registry.selectors import authorized_apps
from apps_registry.services import (
    COMMAND_LINE,
    app_authorization_grant,
    app_authorization_used,
    app_remove,
    app_revoke_access,
)
from tests.apps_registry.authorized.helpers import grant, held
from tests.factories import AppFactory

pytestmark = pytest.mark.django_db


# --- the grant itself -----------------------------------------------------------------------


def test_a_grant_is_recorded_once_and_keeps_its_first_time(demo, apps):
    app_authorization_grant(app=apps["calendar"], account=demo["user"])
    first = AppAuthorization.objects.get().first_authorized

    app_authorization_grant(app=apps["calendar"], account=demo["user"])

    authorization = AppAuthorization.objects.get()
    assert authorization.first_authorized == first
    assert authorization.api == Api.UNIFIEDAPI
    assert authorization.last_used is None


def test_last_used_is_written_at_most_once_a_minute(demo, apps, django_assert_num_queries):
    app, user = apps["calendar"], demo["user"]
    app_authorization_grant(app=app, account=user)
    app_authorization_used(app_id=app.pk, account_id=user.pk)
    first = AppAuthorization.objects.get().last_used
    assert first is not None

    with django_assert_num_queries(1):  # the guarded UPDATE, which changes nothing
        app_authorization_used(app_id=app.pk, account_id=user.pk)
    assert AppAuthorization.objects.get().last_used == first

    AppAuthorization.objects.update(last_used=first - timedelta(minutes=2))
    app_authorization_used(app_id=app.pk, account_id=user.pk)
    assert AppAuthorization.objects.get().last_used > first - timedelta(minutes=1)


# --- the service ----------------------------------------------------------------------------


def test_revoke_access_removes_the_accounts_tokens_codes_and_grant_only(demo, apps, make_tokens):
    user, other = demo["user"], demo["user2"]
    calendar, crm = apps["calendar"], apps["crm"]
    grant(calendar, user, make_tokens, tokens=2)
    grant(crm, user, make_tokens)
    grant(calendar, other, make_tokens)

    revoked = app_revoke_access(actor=user, account=user, apps=[calendar], origin=COMMAND_LINE)

    assert revoked[calendar.pk] == {
        "refresh_tokens": 2,
        "access_tokens": 2,
        "id_tokens": 0,
        "authorization_codes": 1,
    }
    assert held(calendar, user) == {"grant": False, "access": 0, "refresh": 0, "codes": 0}
    # The same App's grant from another account, and another App's grant, stay.
    assert held(calendar, other) == {"grant": True, "access": 1, "refresh": 1, "codes": 1}
    assert held(crm, user) == {"grant": True, "access": 1, "refresh": 1, "codes": 1}


def test_revoke_access_writes_one_audit_row_per_app_in_the_apps_trail(demo, apps, make_tokens):
    user = demo["user"]
    grant(apps["calendar"], user, make_tokens)
    grant(apps["crm"], user, make_tokens, tokens=3)

    app_revoke_access(actor=user, account=user, apps=[apps["calendar"], apps["crm"]], origin=COMMAND_LINE)

    events = {event.app_id: event for event in AuditEvent.objects.filter(action=AuditAction.REVOKE_ACCESS)}
    assert set(events) == {apps["calendar"].pk, apps["crm"].pk}
    crm = events[apps["crm"].pk]
    assert crm.account_id == demo["organization2"].pk  # the App's owner: the App's own trail
    assert crm.actor_username == "user"
    assert crm.details["account"] == "user"
    assert crm.details["access_tokens"] == 3
    assert crm.get_action_display() == "Revoked access"


def test_revoke_access_of_an_app_not_authorized_writes_nothing(demo, apps, make_tokens):
    user = demo["user"]
    grant(apps["calendar"], user, make_tokens)

    with pytest.raises(AppNotAuthorized) as error:
        app_revoke_access(actor=user, account=user, apps=[apps["calendar"], apps["crm"]], origin=COMMAND_LINE)

    assert error.value.code == "app_not_authorized"
    assert held(apps["calendar"], user) == {"grant": True, "access": 1, "refresh": 1, "codes": 1}
    assert not AuditEvent.objects.exists()


def test_revoke_access_of_no_app_is_refused(demo):
    with pytest.raises(AppNotAuthorized):
        app_revoke_access(actor=demo["user"], account=demo["user"], apps=[], origin=COMMAND_LINE)


@pytest.mark.parametrize(
    ("actor", "target"), [("user2", "user"), ("organization2", "user"), ("user", "organization")]
)
def test_revoke_access_for_an_account_out_of_reach_is_refused(actor, target, demo, apps, make_tokens):
    grant(apps["calendar"], demo[target], make_tokens)

    with pytest.raises(PermissionDenied):
        app_revoke_access(
            actor=demo[actor], account=demo[target], apps=[apps["calendar"]], origin=COMMAND_LINE
        )

    assert held(apps["calendar"], demo[target])["grant"]
    assert not AuditEvent.objects.exists()


def test_a_manager_revokes_access_for_an_account_below_it(demo, apps, make_tokens):
    grant(apps["calendar"], demo["user"], make_tokens)

    app_revoke_access(
        actor=demo["provider"], account=demo["user"], apps=[apps["calendar"]], origin=COMMAND_LINE
    )

    assert held(apps["calendar"], demo["user"])["access"] == 0


# --- deactivation and removal -----------------------------------------------------------------


def test_deactivating_an_account_deletes_its_grants_and_those_of_its_apps(demo, apps, make_tokens):
    user, org2 = demo["user"], demo["organization2"]
    grant(apps["calendar"], user, make_tokens)  # the user's grant to another account's App
    grant(apps["own"], demo["user2"], make_tokens)  # another account's grant to the user's App
    grant(apps["crm"], demo["user2"], make_tokens)  # unrelated

    account_set_active(actor=demo["organization"], account=user, active=False, origin=COMMAND_LINE)

    assert set(AppAuthorization.objects.values_list("app__name", "account__username")) == {("CRM", "user2")}
    assert org2.is_active


def test_removing_an_app_removes_its_grants(demo, apps, make_tokens):
    grant(apps["own"], demo["user2"], make_tokens)

    app_remove(actor=demo["user"], app=apps["own"], origin=COMMAND_LINE)

    assert not AppAuthorization.objects.exists()


# --- the selector -----------------------------------------------------------------------------


def test_the_page_is_one_query_whatever_the_number_of_apps(demo, make_tokens, django_assert_num_queries):
    user = demo["user"]
    for count in (1, 12):
        for app in [AppFactory(owner=demo["organization2"]) for _ in range(count)]:
            grant(app, user, make_tokens, tokens=2)
        with django_assert_num_queries(1):
            grants = authorized_apps(user, user)
        assert all(each.live_tokens == 2 for each in grants)


def test_expired_tokens_and_other_accounts_tokens_are_not_counted(demo, apps, make_tokens, expired_token):
    user = demo["user"]
    grant(apps["calendar"], user, make_tokens, tokens=2)
    make_tokens(apps["calendar"], 5, user=demo["user2"])
    expired_token(apps["calendar"], user=user)

    assert [each.live_tokens for each in authorized_apps(user, user)] == [2]
