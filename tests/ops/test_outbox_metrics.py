"""/metrics shows a stuck outbox (issue 27, docs/deployment.md section 9): the letters due and
how long the oldest has waited for the worker, those deferred for a retry, running, failed; and
purge_expired forgets the letters a week after they were sent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from prometheus_client.parser import text_string_to_metric_families

from apps_registry import notices
from apps_registry.services import COMMAND_LINE, app_set_enabled
from oauth.housekeeping import purge_expired
from tests.factories import AppFactory
from tests.helpers import deliver_outbox

pytestmark = pytest.mark.django_db

METRICS_TOKEN = "metrics-token-for-the-tests-0123456789abcdef"


def outbox(client, settings) -> dict[str, float]:
    settings.METRICS_TOKEN = METRICS_TOKEN
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {METRICS_TOKEN}")
    assert response.status_code == 200
    figures = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            if sample.name == "portal_outbox_tasks":
                figures[sample.labels["state"]] = sample.value
            elif sample.name == "portal_outbox_oldest_due_seconds":
                figures["oldest_due_seconds"] = sample.value
    return figures


def change(demo) -> None:
    app = AppFactory(owner=demo["user"])
    app_set_enabled(actor=demo["user"], app=app, enabled=False, origin=COMMAND_LINE)


def test_an_empty_outbox(client, settings):
    assert outbox(client, settings) == {
        "due": 0,
        "deferred": 0,
        "running": 0,
        "failed": 0,
        "oldest_due_seconds": 0,
    }


def test_letters_no_worker_has_sent_show_how_long_they_have_waited(client, settings, demo):
    change(demo)
    change(demo)
    DBTaskResult.objects.update(enqueued_at=timezone.now() - timedelta(minutes=10))
    figures = outbox(client, settings)
    assert figures["due"] == 2
    assert 590 <= figures["oldest_due_seconds"] <= 660

    deliver_outbox()
    assert outbox(client, settings) == {
        "due": 0,
        "deferred": 0,
        "running": 0,
        "failed": 0,
        "oldest_due_seconds": 0,
    }


def test_a_retry_waiting_for_its_time_is_deferred_not_stuck_until_its_time_passes(client, settings, demo):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # discard: nothing listens
    change(demo)
    deliver_outbox()
    figures = outbox(client, settings)
    assert (figures["due"], figures["deferred"], figures["oldest_due_seconds"]) == (0, 1, 0)
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now() - timedelta(minutes=5))
    figures = outbox(client, settings)
    assert figures["due"] == 1 and 295 <= figures["oldest_due_seconds"] <= 360


def test_purge_expired_forgets_the_letters_a_week_after_they_were_sent(demo):
    change(demo)
    deliver_outbox()
    assert purge_expired()["letters_sent"] == 0  # sent just now: kept a week
    DBTaskResult.objects.update(
        finished_at=timezone.now() - notices.KEPT_AFTER_SENDING - timedelta(minutes=1)
    )
    change(demo)  # not sent yet: never purged
    assert purge_expired()["letters_sent"] == 1
    assert DBTaskResult.objects.filter(status="READY").count() == 1
