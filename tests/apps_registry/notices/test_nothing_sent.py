"""design §3: the e-mail notices of App changes. Nothing is sent for the other changes, a
refused one, an App removed meanwhile, or a change that does not commit."""

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from apps_registry import services
from apps_registry.models import App, AuditAction, AuditEvent
from portal.audit import COMMAND_LINE
from tests.apps_registry.notices.helpers import APP_EMAIL, PORTAL, app_for, confirmed_app
from tests.factories import AdministratorFactory
from tests.helpers import deliver_outbox, delivered

# --- nothing sent ------------------------------------------------------------------------------


def test_the_other_changes_send_nothing(app, demo, client, mailoutbox):
    client.force_login(demo["user"])
    actor = demo["user"]
    with delivered():
        services.app_update(actor=actor, app=app, origin=COMMAND_LINE, name="Renamed")
        services.app_reveal_secret(actor=actor, app=app, origin=COMMAND_LINE)
        services.app_revoke_tokens(actor=actor, app=app, origin=COMMAND_LINE)
        services.app_set_enabled(actor=actor, app=app, enabled=True, origin=COMMAND_LINE)  # already on
    assert AuditEvent.objects.count() == 3
    assert mailoutbox == []


def test_a_refused_action_sends_nothing(app, demo, client, mailoutbox):
    outsider = AdministratorFactory()
    client.force_login(demo["organization2"])  # out of reach: a 404
    with delivered():
        assert client.post(reverse("apps_registry:disable", args=[app.pk])).status_code == 404
        with pytest.raises(PermissionDenied):
            services.app_regenerate_secret(actor=outsider, app=app, origin=COMMAND_LINE)
        with pytest.raises(PermissionDenied):
            services.app_remove(actor=outsider, app=app, origin=COMMAND_LINE)
    assert mailoutbox == [] and not AuditEvent.objects.exists()


@pytest.mark.parametrize("action", list(PORTAL))
def test_an_app_removed_meanwhile_sends_nothing(action, demo, mailoutbox):
    app = app_for(action, demo)
    App.objects.filter(pk=app.pk).delete()
    with delivered(), pytest.raises(App.DoesNotExist):
        if action == AuditAction.REGENERATE_SECRET:
            services.app_regenerate_secret(actor=demo["user"], app=app, origin=COMMAND_LINE)
        elif action == AuditAction.REMOVE:
            services.app_remove(actor=demo["user"], app=app, origin=COMMAND_LINE)
        else:
            enabled = action == AuditAction.ENABLE
            services.app_set_enabled(actor=demo["user"], app=app, enabled=enabled, origin=COMMAND_LINE)
    assert mailoutbox == []


def test_a_change_rolled_back_with_the_transaction_around_it_sends_nothing(app, demo, mailoutbox):
    with delivered(), pytest.raises(RuntimeError), transaction.atomic():
        services.app_set_enabled(actor=demo["user"], app=app, enabled=False, origin=COMMAND_LINE)
        assert mailoutbox == []  # not before the commit
        raise RuntimeError("something after the change failed")
    assert App.objects.get(pk=app.pk).enabled
    assert mailoutbox == []


@pytest.mark.django_db(transaction=True)
def test_the_notice_is_written_to_the_outbox_in_the_changes_transaction(mailoutbox):
    """With real commits (no test transaction around them): rolled back, the outbox holds
    nothing; committed, it holds the letters, which the worker sends, never the request."""
    app = confirmed_app(email=APP_EMAIL)
    actor = app.owner
    with pytest.raises(RuntimeError), transaction.atomic():
        services.app_regenerate_secret(actor=actor, app=app, origin=COMMAND_LINE)
        assert DBTaskResult.objects.count() == 1  # written in the change's transaction
        raise RuntimeError("rolled back")
    assert not DBTaskResult.objects.exists() and mailoutbox == []
    with transaction.atomic():
        services.app_regenerate_secret(actor=actor, app=app, origin=COMMAND_LINE)
    assert mailoutbox == []  # the request never sends
    deliver_outbox()
    assert [m.subject for m in mailoutbox] == [f"Secret regenerated: {app.name}"] * 2
