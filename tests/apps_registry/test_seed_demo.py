"""`manage.py seed_demo` gives each demo account a few Apps, so a newcomer sees every list
filled: both APIs where the account's kind allows, trusted and not, one disabled; through the
services (audited as the command line), and never twice."""

import io

import pytest
from django.core.management import call_command

from accounts.models import Account, Kind
from apps_registry.models import Api, App, AuditAction, AuditEvent, AuditSource
from tests.factories import AppFactory

pytestmark = pytest.mark.django_db

DEMO_USERNAMES = ["admin", "provider", "organization", "user", "organization2", "user2"]


def seed(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", "--force", *args, stdout=out)
    return out.getvalue()


def apps_of(username: str):
    return App.objects.filter(owner__username=username)


@pytest.mark.parametrize("username", [name for name in DEMO_USERNAMES if name != "provider"])
def test_seed_demo_gives_each_account_apps_on_both_apis_trusted_and_not_one_disabled(username):
    seed()

    apps = apps_of(username)
    assert set(apps.values_list("api", flat=True)) == {Api.SYSTEMAPI, Api.UNIFIEDAPI}
    assert set(apps.values_list("trusted", flat=True)) == {True, False}
    assert apps.filter(enabled=False).count() == 1
    for api in Api.values:
        assert apps.filter(api=api, enabled=True).exists()


def test_seed_demo_gives_the_service_provider_systemapi_apps_only():
    seed()

    provider = Account.objects.get(username="provider")
    assert provider.kind == Kind.SERVICE_PROVIDER
    apps = apps_of("provider")
    assert apps.exists()
    assert set(apps.values_list("api", flat=True)) == {Api.SYSTEMAPI}
    assert set(apps.values_list("trusted", flat=True)) == {True, False}
    assert apps.filter(enabled=False).count() == 1


def test_seed_demo_apps_are_made_through_the_services_and_audited_as_the_command_line():
    seed()

    app = apps_of("organization").get(enabled=False)
    events = AuditEvent.objects.filter(app=app).order_by("pk")
    assert [event.action for event in events] == [AuditAction.CREATE, AuditAction.DISABLE]
    assert {event.source for event in events} == {AuditSource.CLI}
    assert {event.actor_username for event in events} == {"organization"}
    assert App.objects.count() == AuditEvent.objects.filter(action=AuditAction.CREATE).count()
    # A real, encrypted secret, as every App gets.
    assert len(app.client_secret) == 32


def test_seed_demo_run_again_adds_no_apps():
    first = seed()
    before = set(App.objects.values_list("pk", flat=True))

    second = seed()

    assert set(App.objects.values_list("pk", flat=True)) == before
    assert f"({len(before)} created;" in first
    assert "(0 created;" in second


def test_seed_demo_leaves_an_account_that_has_apps_alone_and_fills_the_others():
    seed("--no-apps")
    own = AppFactory(owner=Account.objects.get(username="user"), api=Api.SYSTEMAPI)

    seed()

    assert list(apps_of("user")) == [own]
    assert apps_of("user2").count() == 4


def test_seed_demo_with_no_apps_adds_none():
    output = seed("--no-apps")

    assert Account.objects.filter(username__in=DEMO_USERNAMES).count() == 6
    assert not App.objects.exists()
    assert "demo Apps" not in output
