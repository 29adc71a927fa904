"""The audit trail of an account (design §4): its Apps' events and the changes to the account
and the accounts below it, as one filtered, paginated timeline."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.core.paginator import Page, Paginator
from django.db.models import CharField, Q, QuerySet, Value
from django.utils import timezone

from accounts.models import Account, AccountEvent, account_action_choices
from accounts.selectors import account_events

from ..models import AuditAction, AuditEvent

EVENTS_PER_PAGE = 50


def audit_app_choices(account: Account) -> list[tuple[str, str]]:
    """The (key, name) pairs of every App the account's audit trail mentions, removed ones too."""
    events = AuditEvent.objects.filter(account=account)
    return list(
        events.order_by("app_client_id", "app_name").values_list("app_client_id", "app_name").distinct()
    )


def _timeline_keys(queryset, stream: str):
    return (
        queryset.order_by()
        .annotate(stream=Value(stream, output_field=CharField()))
        .values_list("created", "stream", "pk")
    )


@dataclass(frozen=True)
class AuditFilters:
    """What the audit trail shows: one App (by key), an action (`app:remove`, `account:create`:
    the two tables share action names), an actor's username, a date range (inclusive, in the
    current time zone)."""

    app_key: str = ""
    action: str = ""
    actor: str = ""
    date_from: date | None = None
    date_to: date | None = None

    @property
    def any(self) -> bool:
        return bool(self.app_key or self.action or self.actor or self.date_from or self.date_to)


def _text_param(params, name: str) -> str:
    # PostgreSQL refuses a NUL in a query (a 500).
    return str(params.get(name, "")).replace("\x00", "")[:255]


def _date_param(params, name: str) -> date | None:
    try:
        return date.fromisoformat(str(params.get(name, ""))[:10])
    except ValueError:
        return None


def audit_action_choices() -> list[tuple[str, str]]:
    """The action filter's (value, label) pairs: the App actions, then the account actions."""
    return [(f"app:{value}", label) for value, label in AuditAction.choices] + [
        (f"account:{value}", label) for value, label in account_action_choices()
    ]


def clean_audit_filters(params) -> AuditFilters:
    """The audit trail's filters from a QueryDict; an unknown action or a bad date is ignored."""
    action = _text_param(params, "action")
    return AuditFilters(
        app_key=_text_param(params, "app"),
        action=action if action in dict(audit_action_choices()) else "",
        actor=_text_param(params, "actor").strip(),
        date_from=_date_param(params, "from"),
        date_to=_date_param(params, "to"),
    )


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _filtered_streams(account: Account, filters: AuditFilters) -> dict[str, QuerySet]:
    """The two tables' rows that the filters keep; a stream the filters rule out is left out."""
    streams = {"app": AuditEvent.objects.filter(account=account)}
    if not filters.app_key:
        streams["account"] = account_events(account)
    if filters.app_key:
        streams["app"] = streams["app"].filter(app_client_id=filters.app_key)
    if filters.action:
        stream, action = filters.action.split(":", 1)
        streams = {name: events.filter(action=action) for name, events in streams.items() if name == stream}
    common = Q()
    if filters.actor:
        common &= Q(actor_username__iexact=filters.actor)
    if filters.date_from:
        common &= Q(created__gte=_day_start(filters.date_from))
    if filters.date_to:
        common &= Q(created__lt=_day_start(filters.date_to + timedelta(days=1)))
    return {name: events.filter(common) for name, events in streams.items()}


def _timeline(account: Account, filters: AuditFilters):
    streams = _filtered_streams(account, filters)
    parts = [_timeline_keys(events, name) for name, events in streams.items()]
    if not parts:  # an account action asked of one App: nothing
        parts = [_timeline_keys(AuditEvent.objects.none(), "app")]
    timeline = parts[0]
    if len(parts) > 1:
        timeline = timeline.union(*parts[1:], all=True)
    return timeline.order_by("-created", "-pk", "stream")


def _fetch_events(rows) -> list:
    """The events behind (created, stream, pk) rows, in the rows' order: a query per table."""
    fetched = {
        "app": AuditEvent.objects.only(
            "pk",
            "created",
            "actor_username",
            "app_id",
            "app_name",
            "app_client_id",
            "action",
            "source",
            "ip_address",
            "details",
        ).in_bulk([pk for _, stream, pk in rows if stream == "app"]),
        "account": AccountEvent.objects.only(
            "pk",
            "created",
            "actor_username",
            "account_id",
            "account_username",
            "action",
            "source",
            "ip_address",
            "details",
        ).in_bulk([pk for _, stream, pk in rows if stream == "account"]),
    }
    # A row whose account was deleted between the two queries is left out.
    return [event for _, stream, pk in rows if (event := fetched[stream].get(pk)) is not None]


def audit_timeline(
    account: Account, *, filters: AuditFilters | None = None, app_key: str = "", page: str | None = None
) -> Page:
    """One page of the account's audit trail, newest first: the events of its Apps and the
    changes to the account and the accounts below it (AccountEvent), as one timeline, kept
    to `filters` (with an App or an App action, only App events; an App removed since keeps
    its history).

    The two tables' (when, which, pk) rows are unioned and paginated in the database, then the
    page's rows are fetched from each table: the same few queries whatever the trail's length."""
    filters = filters or AuditFilters(app_key=app_key)
    result = Paginator(_timeline(account, filters), EVENTS_PER_PAGE).get_page(page)
    result.object_list = _fetch_events(list(result.object_list))
    return result


def audit_events(account: Account, *, filters: AuditFilters, chunk: int = 500) -> Iterator:
    """Every event of the trail the filters keep, newest first, fetched `chunk` at a time
    (the CSV export streams them): a few queries per chunk, never one per event."""
    rows = list(_timeline(account, filters))
    for start in range(0, len(rows), chunk):
        yield from _fetch_events(rows[start : start + chunk])


def audit_actor_choices(account: Account) -> list[str]:
    """The usernames that acted in the account's audit trail, for the actor filter: one query."""
    app = AuditEvent.objects.filter(account=account).order_by().values_list("actor_username", flat=True)
    accounts = account_events(account).order_by().values_list("actor_username", flat=True)
    return sorted(set(app.union(accounts)), key=str.lower)
