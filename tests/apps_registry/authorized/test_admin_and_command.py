"""Authorized Apps (design §8): Revoke access through the Django admin and the command line."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from apps_registry.models import AppAuthorization, AuditAction, AuditEvent
from tests.apps_registry.authorized.helpers import grant, held

pytestmark = pytest.mark.django_db


# --- the Django admin -------------------------------------------------------------------------


def test_admin_lists_grants_in_reach_and_revokes_through_the_service(client, demo, apps, make_tokens):
    grant(apps["calendar"], demo["user"], make_tokens)
    grant(apps["crm"], demo["user2"], make_tokens)
    client.force_login(demo["admin"])
    changelist = reverse("admin:apps_registry_appauthorization_changelist")

    listed = client.get(changelist)
    assert listed.status_code == 200
    assert {row.account.username for row in listed.context["cl"].result_list} == {"user", "user2"}

    ids = list(AppAuthorization.objects.filter(account=demo["user"]).values_list("pk", flat=True))
    response = client.post(changelist, {"action": "revoke_access", "_selected_action": ids})

    assert response.status_code == 302
    assert held(apps["calendar"], demo["user"]) == {"grant": False, "access": 0, "refresh": 0, "codes": 0}
    assert held(apps["crm"], demo["user2"])["grant"]
    assert AuditEvent.objects.get(action=AuditAction.REVOKE_ACCESS).source == "admin"


def test_admin_grants_out_of_reach_are_not_there(client, demo, apps, make_tokens):
    from tests.factories import AdministratorFactory

    grant(apps["calendar"], demo["user"], make_tokens)
    other = AdministratorFactory()
    client.force_login(other)

    listed = client.get(reverse("admin:apps_registry_appauthorization_changelist"))

    assert listed.status_code == 200
    assert list(listed.context["cl"].result_list) == []
    pk = AppAuthorization.objects.get().pk
    assert client.get(reverse("admin:apps_registry_appauthorization_change", args=[pk])).status_code == 404


# --- the command line -------------------------------------------------------------------------


def test_command_revokes_access(demo, apps, make_tokens):
    grant(apps["calendar"], demo["user"], make_tokens, tokens=2)
    out = io.StringIO()

    call_command("revoke_access", "user", "--", apps["calendar"].client_id, stdout=out)

    assert f"{apps['calendar'].client_id}: revoked, 2 access token(s)" in out.getvalue()
    assert not held(apps["calendar"], demo["user"])["grant"]
    assert AuditEvent.objects.get(action=AuditAction.REVOKE_ACCESS).source == "cli"


def test_command_refuses_an_app_not_authorized_or_unknown(demo, apps):
    with pytest.raises(CommandError, match=r"^app_not_authorized: "):
        call_command("revoke_access", "user", "--", apps["calendar"].client_id)
    with pytest.raises(CommandError, match=r"^app_not_found: "):
        call_command("revoke_access", "user", "nope")
    with pytest.raises(CommandError, match=r"^account_not_found: "):
        call_command("revoke_access", "nobody", "--", apps["calendar"].client_id)


def test_command_with_an_actor_out_of_reach_is_refused(demo, apps, make_tokens):
    grant(apps["calendar"], demo["user"], make_tokens)

    with pytest.raises(CommandError, match=r"^permission_denied: "):
        call_command("revoke_access", "user", "--actor", "organization2", "--", apps["calendar"].client_id)

    assert held(apps["calendar"], demo["user"])["grant"]
