"""What /metrics says about the outbox (django-tasks' database backend), where the e-mail
notices wait for `manage.py db_worker`: a worker that stopped, or a mail server refusing
everything, shows as tasks waiting past their time (docs/deployment.md, section 9).

Read at each scrape from the database (one grouped query), so every process reports the same
figures: gauges, not counters.
"""

from __future__ import annotations

from django.db import DatabaseError
from django.db.models import Count, Min, Q
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult, get_date_max
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector


class OutboxCollector(Collector):
    """portal_outbox_tasks{state} and portal_outbox_oldest_due_seconds."""

    def collect(self):
        now = timezone.now()
        tasks = GaugeMetricFamily(
            "portal_outbox_tasks",
            "Tasks in the outbox by state: due (waiting for the worker now), deferred (a retry "
            "later), running, failed (kept until pruned).",
            labels=["state"],
        )
        oldest = GaugeMetricFamily(
            "portal_outbox_oldest_due_seconds",
            "How long the oldest due task has waited for the worker (0 when none): more than a "
            "minute or two means no worker is running, or it is stuck.",
        )
        ready = Q(status=TaskResultStatus.READY)
        due = ready & (Q(run_after=get_date_max()) | Q(run_after__lte=now))
        try:
            figures = DBTaskResult.objects.aggregate(
                due=Count("pk", filter=due),
                deferred=Count("pk", filter=ready & ~due),
                running=Count("pk", filter=Q(status=TaskResultStatus.RUNNING)),
                failed=Count("pk", filter=Q(status=TaskResultStatus.FAILED)),
                first_due=Min("enqueued_at", filter=due & Q(run_after=get_date_max())),
                first_retry=Min("run_after", filter=due & ~Q(run_after=get_date_max())),
            )
        except DatabaseError:
            return  # the database does not answer: /readyz says so; nothing to report here
        for state in ("due", "deferred", "running", "failed"):
            tasks.add_metric([state], figures[state])
        since = [value for value in (figures["first_due"], figures["first_retry"]) if value is not None]
        oldest.add_metric([], max(0.0, (now - min(since)).total_seconds()) if since else 0.0)
        yield tasks
        yield oldest
