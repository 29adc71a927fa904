"""Reads about Apps that several places need: the App an actor may manage, an account's
changelist page, an App's live tokens."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.core.paginator import Page, Paginator
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from accounts.models import Account, AccountAction, AccountEvent
from accounts.selectors import account_events

from .models import (
    AccessToken,
    Api,
    App,
    AppAuthorization,
    AuditAction,
    AuditEvent,
    live_secret_among_q,
    live_token_q,
)

APPS_PER_PAGE = 50
EVENTS_PER_PAGE = 50

# Sortable changelist columns: the `o` parameter -> the field it orders by.
SORTABLE = {
    "name": "name",
    "key": "client_id",
    "trusted": "trusted",
    "enabled": "enabled",
    "created": "created",
    "tokens": "live_tokens",
    "authorized": "authorized_accounts",
    "last_used": "last_used",
}
DEFAULT_ORDER = "name"
# What a changelist row shows (values, not model instances: make bench, P4).
CHANGELIST_COLUMNS = (
    "pk",
    "name",
    "description",
    "client_id",
    "trusted",
    "enabled",
    "created",
    "image_uri",
    "client_type",
    "last_used",
)
# ...and the counts beside them (read for the page's Apps: with_counts).
COUNT_COLUMNS = ("live_tokens", "authorized_accounts")


def manageable_app(actor: Account, pk: int) -> App:
    """An App the actor may manage, with its owner's parents (for the breadcrumb); Http404 when
    it is missing or out of reach, alike."""
    app = (
        App.objects.manageable_by(actor).select_related("owner__parent__parent__parent").filter(pk=pk).first()
    )
    if app is None:
        raise Http404("No App matches the given query.")
    return app


def live_tokens(app: App) -> QuerySet[AccessToken]:
    """The App's access tokens that have not expired nor lost their secret: a range of the
    tokens' (application, expires, secret) index, the App's live secrets looked up once
    (live_secret_among_q) rather than once per token as the default manager does (an App's
    page counted its 100k tokens in 570 ms on PostgreSQL that way)."""
    return AccessToken.all_objects.filter(
        live_secret_among_q([app.pk]), application_id=app.pk, expires__gt=timezone.now()
    )


def app_secrets(app: App, *, revealed: tuple[int, str] | None = None) -> list:
    """The App's live secrets, oldest first, each with `live_tokens` (its unexpired access
    tokens: one query for all) and `shown` (masked to its last 4 characters, or in clear for
    the one `revealed` names)."""
    counts = dict(
        live_tokens(app).filter(secret__isnull=False).values_list("secret_id").annotate(count=Count("*"))
    )
    secrets = app.live_secrets
    for secret in secrets:
        secret.live_tokens = counts.get(secret.pk, 0)
        clear = secret.secret
        secret.revealed = revealed is not None and revealed[0] == secret.pk
        secret.shown = revealed[1] if secret.revealed else "•" * (len(clear) - 4) + clear[-4:]
    return secrets


@dataclass(frozen=True)
class ListFilter:
    """One filter of the changelist's sidebar: its parameter, title and choices (value, label)."""

    parameter: str
    title: str
    choices: tuple[tuple[str, str], ...]


# The sidebar, as the Django admin's: booleans, and the created date as its DateFieldListFilter.
LIST_FILTERS = (
    ListFilter("trusted", "Trusted", (("1", "Yes"), ("0", "No"))),
    ListFilter("enabled", "Enabled", (("1", "Yes"), ("0", "No"))),
    ListFilter(
        "created",
        "Created",
        (("today", "Today"), ("past7", "Past 7 days"), ("month", "This month"), ("year", "This year")),
    ),
)
FILTER_PARAMETERS = tuple(f.parameter for f in LIST_FILTERS)


def _filter_q(parameter: str, value: str) -> Q:
    """The condition a filter choice stands for; dates are the current time zone's, as the admin."""
    if parameter in ("trusted", "enabled"):
        return Q(**{parameter: value == "1"})
    now = timezone.localtime()
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    start = {
        "today": today,
        "past7": today - timedelta(days=7),
        "month": today.replace(day=1),
        "year": today.replace(month=1, day=1),
    }[value]
    end = today + timedelta(days=1)
    return Q(created__gte=start, created__lt=end)


def clean_filters(params) -> dict[str, str]:
    """The sidebar filters in `params` (a QueryDict or dict) that name a known choice; anything
    else is ignored, as a bad `o` or `page` is."""
    cleaned = {}
    for list_filter in LIST_FILTERS:
        value = params.get(list_filter.parameter)
        if value in dict(list_filter.choices):
            cleaned[list_filter.parameter] = value
    return cleaned


def _clean_query(query: str) -> str:
    # PostgreSQL refuses a NUL in a query (a 500); no name or key holds one.
    return query.replace("\x00", "").strip()[:255]


def _search_q(query: str) -> Q:
    return Q(name__icontains=query) | Q(client_id__icontains=query) if query else Q()


def _filters_q(filters: dict[str, str], *, leave_out: str = "") -> Q:
    condition = Q()
    for parameter, value in filters.items():
        if parameter != leave_out:
            condition &= _filter_q(parameter, value)
    return condition


def live_token_counts(app_ids: list[int]) -> dict[int, int]:
    """How many unexpired access tokens each of these Apps holds, leaving out a removed
    secret's (absent: none). One grouped query over the tokens' (application, expires, secret)
    index, the Apps' live secrets looked up once: an App's 100k tokens are counted from the
    index alone."""
    return dict(
        AccessToken.all_objects.filter(
            live_secret_among_q(app_ids), application_id__in=app_ids, expires__gt=timezone.now()
        )
        .order_by()
        .values_list("application_id")
        .annotate(n=Count("*"))
    )


def authorized_account_counts(app_ids: list[int]) -> dict[int, int]:
    """How many accounts hold a grant to each of these Apps (absent: none), in one grouped
    query over the grants' unique (app, account) index."""
    return dict(
        AppAuthorization.objects.filter(app_id__in=app_ids)
        .order_by()
        .values_list("app_id")
        .annotate(n=Count("*"))
    )


# How each of COUNT_COLUMNS is counted, for a few Apps at a time.
COUNTERS = {"live_tokens": live_token_counts, "authorized_accounts": authorized_account_counts}


def with_counts(rows: list[dict], known: dict[str, dict[int, int]] | None = None) -> list[dict]:
    """Changelist rows (dicts with `pk`) with COUNT_COLUMNS added, as VoipNow's list shows
    them: a grouped query per count for these rows' Apps alone (a page: at most
    APPS_PER_PAGE), so the cost follows the page, not the account's Apps or their tokens.
    `known` holds counts already read, by column."""
    ids, known = [row["pk"] for row in rows], known or {}
    counts = {column: known[column] if column in known else count(ids) for column, count in COUNTERS.items()}
    for row in rows:
        for column, by_app in counts.items():
            row[column] = by_app.get(row["pk"], 0)
    return rows


def changelist_apps(account: Account, *, api: str, query: str = "", filters: dict[str, str] | None = None):
    """Every App of the account on `api` the changelist shows with this search and these
    filters, unordered: what "Select all N Apps" acts on."""
    return account.apps.for_api(api).filter(_search_q(_clean_query(query)), _filters_q(filters or {}))


@dataclass(frozen=True)
class ChangeList:
    """One page of an account's Apps on one API tab, searched, filtered and sorted."""

    page: Page
    query: str
    order: str  # the `o` parameter in force, e.g. "name" or "-created"
    filters: dict[str, str] = field(default_factory=dict)

    @property
    def sorted_by(self) -> str:
        return self.order.removeprefix("-")

    @property
    def descending(self) -> bool:
        return self.order.startswith("-")


def app_changelist(
    account: Account,
    *,
    api: str,
    query: str = "",
    order: str = "",
    page: str | None = None,
    filters: dict[str, str] | None = None,
    count: int | None = None,
):
    """The account's Apps of `api` matching `query` (name or key) and the sidebar `filters`
    (see clean_filters), ordered by `order` (a key of SORTABLE, `-` for descending; anything
    else is the default), one page of APPS_PER_PAGE with its counts (with_counts). The same
    number of queries whatever the number of Apps or tokens: the Apps are counted without their
    counts (or not at all when the caller knows their `count`: changelist_counts' `shown`), and
    the counts are read for the page's Apps only."""
    query = _clean_query(query)
    filters = filters or {}
    if order.removeprefix("-") not in SORTABLE:
        order = DEFAULT_ORDER
    field_name = SORTABLE[order.removeprefix("-")]
    descending = order.startswith("-")
    apps = changelist_apps(account, api=api, query=query, filters=filters)
    if field_name in COUNTERS:
        result = _page_by_count(apps, field_name, descending=descending, number=page)
    else:
        rows = apps.values(*CHANGELIST_COLUMNS).order_by(f"-{field_name}" if descending else field_name, "pk")
        paginator = Paginator(rows, APPS_PER_PAGE)
        if count is not None:
            paginator.count = count  # its cached_property, known already: no COUNT query
        result = paginator.get_page(page)
        result.object_list = with_counts(list(result.object_list))
    return ChangeList(page=result, query=query, order=order, filters=filters)


def _page_by_count(apps: QuerySet[App], column: str, *, descending: bool, number: str | None) -> Page:
    """One page of `apps` sorted by one of COUNT_COLUMNS (then by pk): that count is read for
    every App matched, which an account's limit bounds (APP_LIMIT_PER_ACCOUNT), and sorted
    here; the page's rows and its other count are read for its Apps only."""
    ids = list(apps.order_by().values_list("pk", flat=True))
    counts = COUNTERS[column](ids)
    sign = -1 if descending else 1
    ids.sort(key=lambda pk: (sign * counts.get(pk, 0), pk))
    result = Paginator(ids, APPS_PER_PAGE).get_page(number)
    rows = apps.filter(pk__in=result.object_list).order_by().values(*CHANGELIST_COLUMNS)
    rows = {row["pk"]: row for row in rows}
    # An App removed since its id was read is left out of the page.
    page_rows = [rows[pk] for pk in result.object_list if pk in rows]
    result.object_list = with_counts(page_rows, known={column: counts})
    return result


def changelist_counts(
    account: Account, *, api: str, query: str = "", filters: dict[str, str] | None = None
) -> dict[str, int]:
    """In ONE query: the account's Apps on each API and in all (`total`), how many Apps the tab
    shows with this search and these filters (`shown`: the pager's count), and for each sidebar
    choice (`"trusted=1"`, `"created=today"`...) how many Apps of the tab and search it would
    show with the other filters kept, as the Django admin's facets.

    The Apps are grouped by their API, whether the search matches them and whether each choice
    does (a few dozen groups), and the groups are summed here: a COUNT per choice and filter
    combination cost more to build than the database took to answer it (make bench, P4)."""
    query, filters = _clean_query(query), filters or {}
    choices = [f"{f.parameter}={value}" for f in LIST_FILTERS for value, _label in f.choices]
    column = {choice: f"c{i}" for i, choice in enumerate(choices)}
    matches = {column[choice]: _boolean(_filter_q(*choice.split("=", 1))) for choice in choices}
    if query:
        matches["searched"] = _boolean(_search_q(query))
    groups = list(account.apps.order_by().values("api", **matches).annotate(n=Count("*")))

    def count(groups: list[dict], *kept: str) -> int:
        return sum(group["n"] for group in groups if all(group[column[choice]] for choice in kept))

    tab = [group for group in groups if group["api"] == api and group.get("searched", True)]
    counts = {
        "total": count(groups),
        **{value: count([g for g in groups if g["api"] == value]) for value in Api.values},
    }
    counts["shown"] = count(tab, *(f"{parameter}={value}" for parameter, value in filters.items()))
    for list_filter in LIST_FILTERS:
        others = [
            f"{parameter}={value}"
            for parameter, value in filters.items()
            if parameter != list_filter.parameter
        ]
        for value, _label in list_filter.choices:
            counts[f"{list_filter.parameter}={value}"] = count(
                tab, *others, f"{list_filter.parameter}={value}"
            )
        counts[f"{list_filter.parameter}="] = count(tab, *others)
    return counts


def _boolean(condition: Q) -> ExpressionWrapper:
    return ExpressionWrapper(condition, output_field=BooleanField())


def app_made_by_form(actor: Account, account: Account, *, api: str, client_id: str) -> App | None:
    """The App of `account` and `api` with the key an Add App form carried, when the actor may
    manage it: what an earlier submit of the same form made."""
    return App.objects.manageable_by(actor).filter(owner=account, api=api, client_id=client_id).first()


def app_twin(account: Account, *, api: str, name: str, redirect_uri: str) -> App | None:
    """An App of `account` on `api` with this name and redirect URL: adding another would
    make two that look alike (or it is the same form sent again after Back)."""
    return (
        account.apps.for_api(api)
        .filter(name__iexact=name.strip(), redirect_uri=redirect_uri)
        .order_by("-created")
        .first()
    )


def apps_to_remove(actor: Account, account: Account, ids: list[int] | None, *, across=None) -> list[App]:
    """The selected Apps of `account` that the actor may manage, each with its number of live
    tokens (`live_tokens`); ids of other accounts' Apps, or out of reach, are left out. With
    `across` (a changelist_apps queryset: "Select all N Apps"), those Apps instead of `ids`."""
    selected = Q(pk__in=across.values("pk")) if across is not None else Q(pk__in=ids or [])
    return list(
        App.objects.manageable_by(actor)
        .filter(selected, owner=account)
        .select_related("owner")
        .annotate(
            live_tokens=Count(
                "accesstoken",
                filter=Q(accesstoken__expires__gt=timezone.now()) & live_token_q("accesstoken__"),
            )
        )
        .order_by("name", "pk")
    )


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
        (f"account:{value}", label) for value, label in AccountAction.choices
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


# --- Authorized Apps (design §8) ------------------------------------------------------------


def consent_remembered(account: Account, app: App) -> bool:
    """authorize.php asks no more: the account authorized this App for its API and did not
    revoke it, and the App is still usable (enabled, its owner active). One query."""
    return AppAuthorization.objects.filter(
        account_id=account.pk, app_id=app.pk, api=app.api, app__enabled=True, app__owner__is_active=True
    ).exists()


def authorized_apps(actor: Account, account: Account, *, app_ids: list[int] | None = None):
    """The Apps holding a live grant to act for `account` (its Authorized Apps page), or only
    those of `app_ids`, ordered by name, in ONE query whatever their number: each grant with its
    App's public details (`app`), `live_tokens` (the App's unexpired access tokens acting for
    the account) and `owner_username`, the App's owner account, only when the actor may manage
    it (None otherwise: an owner out of reach is never shown, design §2)."""
    live = (
        AccessToken.objects.filter(
            application_id=OuterRef("app_id"), user_id=account.pk, expires__gt=timezone.now()
        )
        .order_by()
        .values("application_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    owner_in_reach = Exists(Account.objects.manageable_by(actor).filter(pk=OuterRef("app__owner_id")))
    grants = AppAuthorization.objects.filter(account_id=account.pk)
    if app_ids is not None:
        grants = grants.filter(app_id__in=app_ids)
    return list(
        grants.select_related("app")
        .only(
            "pk",
            "api",
            "first_authorized",
            "last_used",
            "app_id",
            "account_id",
            "app__id",
            "app__name",
            "app__description",
            "app__homepage",
            "app__image_uri",
            "app__email",
            "app__api",
            "app__client_id",
            "app__enabled",
            "app__owner_id",
        )
        .annotate(
            live_tokens=Coalesce(Subquery(live), 0),
            owner_username=Case(When(owner_in_reach, then=F("app__owner__username")), default=None),
        )
        .order_by("app__name", "app_id")
    )
