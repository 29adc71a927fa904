"""Every entry point that changes an account writes exactly one AccountEvent with its source;
the audit trail page shows the account changes within reach, merged with the App events; the
Django admin lists them read only, scoped."""

from __future__ import annotations

from datetime import timedelta

import pytest
from allauth.core import context
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.models import SocialAccount, SocialLogin
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.middleware import SessionMiddleware
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account, AccountAction, AccountEvent, Kind
from accounts.signals import account_deactivated
from apps_registry.models import AuditEvent
from apps_registry.services import app_set_enabled
from portal.audit import COMMAND_LINE, AuditSource
from tests.external_idp import PROVIDER_ID, provider_settings
from tests.factories import AdministratorFactory, AppFactory
from tests.helpers import ADD, CHANGE, CHANGELIST, PASSWORD, admin_add_form, child_form


def only_event() -> AccountEvent:
    events = list(AccountEvent.objects.all())
    assert len(events) == 1, events
    return events[0]


def change_form(account: Account, **overrides) -> dict[str, str]:
    data = {"name": account.name, "email": account.email, "phone": account.phone, "is_active": "on"}
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture
def configured(settings):
    settings.SOCIALACCOUNT_PROVIDERS = provider_settings("https://idp.example")


@pytest.fixture
def deactivations():
    sent = []

    def receiver(sender, **kwargs):
        sent.append(kwargs["account"])

    account_deactivated.connect(receiver)
    yield sent
    account_deactivated.disconnect(receiver)


# --- the portal ---------------------------------------------------------------------------------


def test_adding_a_child_in_the_portal_writes_one_event_from_the_portal(demo, client):
    client.force_login(demo["provider"])

    client.post(
        reverse("accounts:add_child", args=[demo["organization"].pk]),
        child_form(Kind.USER),
        REMOTE_ADDR="192.0.2.9",
    )

    event = only_event()
    assert (event.action, event.source, event.ip_address) == (AccountAction.CREATE, "portal", "192.0.2.9")
    assert (event.account_username, event.parent, event.actor) == (
        "newchild",
        demo["organization"],
        demo["provider"],
    )


def test_a_refused_child_in_the_portal_writes_no_event(demo, client):
    client.force_login(demo["organization"])

    client.post(
        reverse("accounts:add_child", args=[demo["organization"].pk]), child_form(Kind.USER, password="x")
    )

    assert not AccountEvent.objects.exists()


def test_unlinking_an_identity_writes_one_event_from_the_portal(demo, client):
    identity = SocialAccount.objects.create(user=demo["user"], provider="mock", uid="sub-1")
    client.force_login(demo["user"])

    client.post(
        reverse("accounts:identity_unlink", args=[demo["user"].pk, identity.pk]), {"confirmed": "yes"}
    )

    event = only_event()
    assert (event.action, event.source, event.account) == (
        AccountAction.UNLINK_IDENTITY,
        "portal",
        demo["user"],
    )


def finish_link(request, account: Account, uid: str):
    """The end of an external sign-in started with process=connect, as allauth calls the
    adapter once the provider has answered (state and ID token carry the same nonce)."""
    SessionMiddleware(lambda r: None).process_request(request)
    request._messages = FallbackStorage(request)
    request.user = account
    sociallogin = SocialLogin(
        account=SocialAccount(provider=PROVIDER_ID, uid=uid, extra_data={"id_token": {"nonce": "n1"}}),
    )
    sociallogin.state = {"process": "connect", "nonce": "n1"}
    with context.request_context(request), pytest.raises(ImmediateHttpResponse) as answered:
        get_adapter(request).pre_social_login(request, sociallogin)
    return answered.value.response, [str(message) for message in get_messages(request)]


def test_linking_an_identity_writes_one_event_from_the_portal(rf, demo, configured):
    response, said = finish_link(rf.get("/", REMOTE_ADDR="192.0.2.10"), demo["user"], "sub-1")

    event = only_event()
    assert response["Location"] == reverse("accounts:me")
    assert any("is now linked" in message for message in said)
    assert SocialAccount.objects.get().user == demo["user"]
    assert (event.action, event.source, event.ip_address) == (
        AccountAction.LINK_IDENTITY,
        "portal",
        "192.0.2.10",
    )


def test_linking_an_identity_of_another_account_writes_nothing(rf, demo, configured):
    SocialAccount.objects.create(user=demo["organization"], provider=PROVIDER_ID, uid="sub-1")

    _, said = finish_link(rf.get("/"), demo["user"], "sub-1")

    assert any("linked to another portal account" in message for message in said)
    assert SocialAccount.objects.get().user == demo["organization"]
    assert not AccountEvent.objects.exists()


# --- the Django admin ---------------------------------------------------------------------------


def test_adding_in_the_admin_writes_one_event_from_the_admin(demo, client):
    client.force_login(demo["admin"])

    response = client.post(reverse(ADD), admin_add_form(demo["provider"], Kind.ORGANIZATION))

    assert response.status_code == 302
    event = only_event()
    assert (event.action, event.source, event.parent) == (AccountAction.CREATE, "admin", demo["provider"])
    assert event.account == Account.objects.get(username="adminadded")
    assert event.account.check_password(PASSWORD)


def test_an_add_the_service_refuses_shows_on_the_admin_form_and_writes_nothing(demo, client):
    client.force_login(demo["admin"])

    response = client.post(
        reverse(ADD), admin_add_form(demo["organization"], Kind.ORGANIZATION, username="user")
    )

    errors = response.context["adminform"].form.errors
    assert "kind" in errors  # the service's kind_not_allowed, checked first
    assert not AccountEvent.objects.exists()


def test_editing_in_the_admin_writes_one_event_naming_the_fields(demo, client):
    user = demo["user"]
    client.force_login(demo["admin"])

    response = client.post(reverse(CHANGE, args=[user.pk]), change_form(user, name="Renamed", phone="+1 555"))

    assert response.status_code == 302
    event = only_event()
    assert (event.action, event.source, event.account) == (AccountAction.UPDATE, "admin", user)
    assert sorted(event.details["fields"]) == ["name", "phone"]
    assert Account.objects.get(pk=user.pk).name == "Renamed"


def test_saving_the_admin_form_unchanged_writes_no_event(demo, client):
    client.force_login(demo["admin"])

    client.post(reverse(CHANGE, args=[demo["user"].pk]), change_form(demo["user"]))

    assert not AccountEvent.objects.exists()


def test_deactivating_in_the_admin_change_form_writes_one_event_and_signals(demo, client, deactivations):
    user = demo["user"]
    client.force_login(demo["admin"])

    client.post(reverse(CHANGE, args=[user.pk]), change_form(user, is_active=None))

    event = only_event()
    assert (event.action, event.source) == (AccountAction.DEACTIVATE, "admin")
    assert not Account.objects.get(pk=user.pk).is_active
    assert deactivations == [user]


def test_deactivating_oneself_in_the_admin_change_form_is_refused(demo, client, deactivations):
    admin = demo["admin"]
    client.force_login(admin)

    response = client.post(
        reverse(CHANGE, args=[admin.pk]), change_form(admin, name="Renamed", is_active=None)
    )

    assert "cannot deactivate your own account" in client.get(response["Location"]).content.decode()
    admin.refresh_from_db()
    assert admin.is_active
    assert admin.name != "Renamed"  # the whole save is rolled back
    assert not AccountEvent.objects.exists()
    assert deactivations == []


@pytest.mark.parametrize(
    ("action", "active_before", "recorded"),
    [
        ("deactivate_selected", True, AccountAction.DEACTIVATE),
        ("reactivate_selected", False, AccountAction.REACTIVATE),
    ],
)
def test_changelist_actions_write_one_event_per_account(action, active_before, recorded, demo, client):
    targets = [demo["user"], demo["user2"]]
    Account.objects.filter(pk__in=[t.pk for t in targets]).update(is_active=active_before)
    client.force_login(demo["admin"])

    client.post(reverse(CHANGELIST), {"action": action, "_selected_action": [t.pk for t in targets]})

    events = AccountEvent.objects.all()
    assert sorted(event.account_username for event in events) == ["user", "user2"]
    assert {(event.action, event.source) for event in events} == {(recorded, "admin")}
    assert not Account.objects.filter(pk__in=[t.pk for t in targets], is_active=active_before).exists()


def test_changelist_deactivate_leaves_the_acting_account_alone(demo, client, deactivations):
    client.force_login(demo["admin"])

    response = client.post(
        reverse(CHANGELIST),
        {"action": "deactivate_selected", "_selected_action": [demo["admin"].pk, demo["user"].pk]},
        follow=True,
    )

    assert "cannot deactivate your own account" in response.content.decode()
    assert Account.objects.get(pk=demo["admin"].pk).is_active
    assert only_event().account == demo["user"]
    assert deactivations == [demo["user"]]


def test_account_events_in_the_admin_are_read_only_and_scoped(demo, client):
    rival = AdministratorFactory(username="rivaladmin")
    rival_child = Account.objects.create_user(
        "rivalchild", "x", kind=Kind.SERVICE_PROVIDER, parent=rival, name="R", email="r@example.com"
    )
    AccountEvent.objects.create(
        actor=rival,
        actor_username="rivaladmin",
        account=rival_child,
        account_username="rivalchild",
        parent=rival,
        action=AccountAction.CREATE,
        source=AuditSource.ADMIN,
    )
    AccountEvent.objects.create(
        actor=demo["admin"],
        actor_username="admin",
        account=demo["user"],
        account_username="user",
        parent=demo["organization"],
        action=AccountAction.UPDATE,
        source=AuditSource.ADMIN,
    )
    client.force_login(demo["admin"])

    listed = client.get(reverse("admin:accounts_accountevent_changelist"))

    assert [event.account_username for event in listed.context["cl"].result_list] == ["user"]
    assert "rivalchild" not in listed.content.decode()
    assert client.get(reverse("admin:accounts_accountevent_add")).status_code == 403
    mine = AccountEvent.objects.get(account_username="user")
    assert (
        client.post(
            reverse("admin:accounts_accountevent_delete", args=[mine.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert AccountEvent.objects.count() == 2


# --- the audit trail page -----------------------------------------------------------------------


def audit(client, account: Account, **query):
    return client.get(reverse("apps_registry:audit", args=[account.pk]), query)


def record(account: Account, action: str = AccountAction.UPDATE, **fields) -> AccountEvent:
    return AccountEvent.objects.create(
        actor_username="someone",
        account=account,
        account_username=account.username,
        parent=account.parent,
        action=action,
        source=AuditSource.CLI,
        **fields,
    )


def test_audit_trail_shows_changes_to_the_account_and_its_children(demo, client):
    organization = demo["organization"]
    record(organization, details={"fields": ["phone"]})
    record(demo["user"], AccountAction.DEACTIVATE)
    client.force_login(demo["provider"])

    content = audit(client, organization).content.decode()

    assert "2 events" in content
    assert "Account edited" in content and "Changed phone" in content
    assert "Account deactivated" in content
    assert reverse("accounts:detail", args=[demo["user"].pk]) in content


def test_audit_trail_never_shows_changes_to_accounts_out_of_reach(demo, client):
    for persona in ("admin", "provider", "organization2", "user2"):
        record(demo[persona], details={"fields": [f"marker-{persona}"]})
    client.force_login(demo["organization"])

    content = audit(client, demo["organization"]).content.decode()
    below = audit(client, demo["user"]).content.decode()

    assert "0 events" in content and "0 events" in below
    assert "marker-" not in content + below


def test_audit_trail_of_an_account_out_of_reach_is_404(demo, client):
    record(demo["organization2"])
    client.force_login(demo["provider"])

    assert audit(client, demo["organization2"]).status_code == 404


def test_audit_trail_merges_app_and_account_events_newest_first(demo, client):
    owner = demo["organization"]
    app = AppFactory(owner=owner, name="Billing Sync")
    app_set_enabled(actor=owner, app=app, enabled=False, origin=COMMAND_LINE)
    now = timezone.now()
    AuditEvent.objects.update(created=now - timedelta(minutes=2))
    older = record(owner, details={"fields": ["older"]})
    AccountEvent.objects.filter(pk=older.pk).update(created=now - timedelta(minutes=3))
    record(demo["user"], details={"fields": ["newer"]})
    client.force_login(owner)

    content = audit(client, owner).content.decode()
    filtered = audit(client, owner, app=app.client_id).content.decode()

    assert "3 events" in content
    assert content.index("newer") < content.index("Billing Sync</a>") < content.index("older")
    assert "1 event" in filtered and "newer" not in filtered and "older" not in filtered


def test_audit_trail_pages_through_both_kinds_of_event(demo, client):
    owner = demo["organization"]
    app = AppFactory(owner=owner)
    for i in range(30):
        record(owner, details={"fields": [f"a{i}"]})
        AuditEvent.objects.create(
            actor_username="someone",
            account=owner,
            app=app,
            app_name=app.name,
            app_client_id=app.client_id,
            action="update",
            source=AuditSource.CLI,
            details={"n": i},
        )
    client.force_login(owner)

    first, second = audit(client, owner), audit(client, owner, page=2)

    assert "60 events" in first.content.decode()
    assert len(first.context["page"].object_list) == 50
    assert len(second.context["page"].object_list) == 10
    shown = [
        (type(e).__name__, e.pk)
        for e in [*first.context["page"].object_list, *second.context["page"].object_list]
    ]
    assert len(set(shown)) == 60
    times = [e.created for e in [*first.context["page"].object_list, *second.context["page"].object_list]]
    assert times == sorted(times, reverse=True)
