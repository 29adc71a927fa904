"""An account's changelist (design §4): one page of its Apps on one API tab, searched, filtered
by the sidebar and sorted, with the counts beside each row; and the Apps an action of its
menu acts on. The filters' facet counts are in facets.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.paginator import Page, Paginator
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Account
from portal.speedups.among import Among
from portal.speedups.prepared import Shaped

from ..columns import COLUMNS
from ..models import AccessToken, App, AppAuthorization, live_secret_among_q, live_token_q

APPS_PER_PAGE = 50

# Derived from the columns' declaration (apps_registry.columns):
# the `o` parameter's values -> the value or count each orders by;
SORTABLE = {column.key: column.order_by for column in COLUMNS if column.order_by}
DEFAULT_ORDER = "name"
# what a changelist row reads (values, not model instances: make bench, P4);
CHANGELIST_COLUMNS = tuple(dict.fromkeys(("pk", *(value for column in COLUMNS for value in column.values))))
# ...and the counts beside them (counted for the page's Apps: with_counts).
COUNT_COLUMNS = tuple(column.count for column in COLUMNS if column.count)


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


def _today() -> datetime:
    """The start of today in the current time zone: what the date filters count from."""
    return timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)


def _filter_q(parameter: str, value: str, today: datetime | None = None) -> Q:
    """The condition a filter choice stands for; dates are the current time zone's, as the admin."""
    if parameter in ("trusted", "enabled"):
        return Q(**{parameter: value == "1"})
    start, end = _date_range(value, today or _today())
    return Q(created__gte=start, created__lt=end)


def _date_range(value: str, today: datetime) -> tuple[datetime, datetime]:
    """From when to when (excluded) a created choice counts, from the start of `today`."""
    start = {
        "today": today,
        "past7": today - timedelta(days=7),
        "month": today.replace(day=1),
        "year": today.replace(month=1, day=1),
    }[value]
    return start, today + timedelta(days=1)


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


def _filters_q(filters: dict[str, str], *, leave_out: str = "", today: datetime | None = None) -> Q:
    condition = Q()
    for parameter, value in filters.items():
        if parameter != leave_out:
            condition &= _filter_q(parameter, value, today)
    return condition


def live_token_counts(app_ids: list[int]) -> dict[int, int]:
    """How many unexpired access tokens each of these Apps holds, leaving out a removed
    secret's (absent: none). One grouped query over the tokens' (application, expires, secret)
    index, the Apps' live secrets looked up once: an App's 100k tokens are counted from the
    index alone."""
    if not app_ids:
        return {}
    tokens = AccessToken.all_objects.filter(
        live_secret_among_q(app_ids), Among("application_id", app_ids), expires__gt=timezone.now()
    )
    return dict(tokens.order_by().values_list("application_id").annotate(n=Count("*")))


def authorized_account_counts(app_ids: list[int]) -> dict[int, int]:
    """How many accounts hold a grant to each of these Apps (absent: none), in one grouped
    query over the grants' unique (app, account) index."""
    if not app_ids:
        return {}
    grants = AppAuthorization.objects.filter(Among("app_id", app_ids))
    return dict(grants.order_by().values_list("app_id").annotate(n=Count("*")))


def _live_tokens_of_row(now: datetime) -> Coalesce:
    """live_token_counts' count for the outer query's App: its live secrets read once (an
    index lookup), its tokens counted over the tokens' (application, expires, secret) index."""
    tokens = AccessToken.all_objects.filter(
        live_secret_among_q(OuterRef(OuterRef("pk"))), application_id=OuterRef("pk"), expires__gt=now
    )
    return _count(tokens.values("application_id"))


def _grants_of_row(now: datetime) -> Coalesce:
    """authorized_account_counts' count for the outer query's App (`now` unused: a grant has
    no expiry)."""
    return _count(AppAuthorization.objects.filter(app_id=OuterRef("pk")).values("app_id"))


def _count(rows: QuerySet) -> Coalesce:
    """How many `rows` (grouped by the one column they select) there are: 0 for none."""
    return Coalesce(Subquery(rows.order_by().annotate(n=Count("*")).values("n")), 0)


# How each count a column may read (COUNT_COLUMNS) is counted: for every App of a tab, to
# sort by it, grouped over their ids; for a page's rows, a subquery of each row's App, read
# with the rows (with_counts).
COUNTERS = {"live_tokens": live_token_counts, "authorized_accounts": authorized_account_counts}
ROW_COUNTERS = {"live_tokens": _live_tokens_of_row, "authorized_accounts": _grants_of_row}


def with_counts(apps: QuerySet[App], now: datetime, *, known: str = "") -> QuerySet:
    """Changelist rows of `apps`: the values CHANGELIST_COLUMNS and the counts COUNT_COLUMNS
    (but the `known` one), as VoipNow's list shows them, counted for these rows' Apps alone in
    the same statement (a correlated subquery per count), so the cost follows the page, not
    the account's Apps or their tokens."""
    counts = {column: ROW_COUNTERS[column](now) for column in COUNT_COLUMNS if column != known}
    return apps.annotate(**counts).values(*CHANGELIST_COLUMNS, *counts)


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
    a page's rows are read with their counts, counted for its Apps only."""
    query = _clean_query(query)
    filters = filters or {}
    if order.removeprefix("-") not in SORTABLE:
        order = DEFAULT_ORDER
    field_name = SORTABLE[order.removeprefix("-")]
    descending = order.startswith("-")
    if field_name in COUNT_COLUMNS:
        apps = changelist_apps(account, api=api, query=query, filters=filters)
        result = _page_by_count(apps, field_name, descending=descending, number=page)
    else:
        if count is None:  # changelist_counts' `shown` gives it to the App list
            count = changelist_apps(account, api=api, query=query, filters=filters).count()
        shape = (
            order,
            tuple(sorted(filters.items())),
            bool(query),
            _today() if "created" in filters else None,
        )
        searched = {"query": query} if query else {}
        rows = _Rows(
            count,
            lambda bottom, top: _ROWS.rows(
                (*shape, bottom, top), owner=account.pk, api=api, now=timezone.now(), **searched
            ),
        )
        result = Paginator(rows, APPS_PER_PAGE).get_page(page)  # its rows hold their counts
    return ChangeList(page=result, query=query, order=order, filters=filters)


def _rows_query(key: tuple, *, owner: int, api: str, now: datetime, query: str = "") -> QuerySet:
    """One page of changelist rows with their counts (COUNT_COLUMNS, each a correlated
    subquery), `key` being (order, filters, searched, today, bottom, top). The page's Apps
    are chosen first, in a subquery (Among), then read with their counts, so that:
    - the counts are worked out for the page's Apps alone (SQLite worked them out for every
      App it sorted: 0.8 ms for 1000 Apps sorted by date);
    - sorted by name, the page's ids are read from the index app_owner_api_name_id alone, in
      its order, however many Apps the owner has. PostgreSQL plans a prepared statement once
      for every owner (config/environment.py), from the average owner: read in one piece,
      with 1,000 owners of 100 Apps the plan sorted all of an owner's Apps, 1.4 ms for the
      one with 1000 (make bench, S-P4), against 0.5 ms this way."""
    order, filters, _searched, today, bottom, top = key
    field_name = SORTABLE[order.removeprefix("-")]
    ordering = (f"-{field_name}" if order.startswith("-") else field_name, "pk")
    page = App.objects.filter(
        _search_q(query), _filters_q(dict(filters), today=today), owner_id=owner, api=api
    ).order_by(*ordering)
    rows = App.objects.filter(Among("pk", page.values("pk")[bottom:top])).order_by(*ordering)
    return with_counts(rows, now)


# Compiled once per process per order, filters, search-or-not and page (prepared.Shaped).
_ROWS = Shaped(_rows_query)


class _Rows:
    """The Paginator's view of a changelist's `count` rows: a page is read by _ROWS."""

    def __init__(self, count: int, read) -> None:
        self.length, self.read = count, read

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, window: slice) -> list[dict]:
        return self.read(window.start, window.stop) if window.start < window.stop else []


def _page_by_count(apps: QuerySet[App], column: str, *, descending: bool, number: str | None) -> Page:
    """One page of `apps` sorted by one of COUNT_COLUMNS (then by pk): that count is read for
    every App matched, which an account's limit bounds (APP_LIMIT_PER_ACCOUNT), and sorted
    here; the page's rows and its other count are read for its Apps only."""
    ids = list(apps.order_by().values_list("pk", flat=True))
    counts = COUNTERS[column](ids)
    sign = -1 if descending else 1
    ids.sort(key=lambda pk: (sign * counts.get(pk, 0), pk))
    result = Paginator(ids, APPS_PER_PAGE).get_page(number)
    page_apps = apps.filter(pk__in=result.object_list).order_by()
    rows = {row["pk"]: row for row in with_counts(page_apps, timezone.now(), known=column)}
    # An App removed since its id was read is left out of the page; the count it was sorted
    # by is the one shown.
    result.object_list = [{**rows[pk], column: counts.get(pk, 0)} for pk in result.object_list if pk in rows]
    return result


def _selected(actor: Account, account: Account, ids: list[int] | None, across) -> QuerySet[App]:
    selected = Q(pk__in=across.values("pk")) if across is not None else Q(pk__in=ids or [])
    return App.objects.manageable_by(actor).filter(selected, owner=account)


def selected_apps(actor: Account, account: Account, ids: list[int] | None, *, across=None) -> list[App]:
    """The Apps an action of the changelist acts on, as apps_to_remove chooses them, without
    their counts (what the confirmed action needs: one light query however many)."""
    return list(_selected(actor, account, ids, across).only("pk", "owner_id"))


def apps_to_remove(actor: Account, account: Account, ids: list[int] | None, *, across=None) -> list[App]:
    """The selected Apps of `account` that the actor may manage, each with its number of live
    tokens (`live_tokens`); ids of other accounts' Apps, or out of reach, are left out. With
    `across` (a changelist_apps queryset: "Select all N Apps"), those Apps instead of `ids`."""
    return list(
        _selected(actor, account, ids, across)
        .select_related("owner")
        .annotate(
            live_tokens=Count(
                "accesstoken",
                filter=Q(accesstoken__expires__gt=timezone.now()) & live_token_q("accesstoken__"),
            )
        )
        .order_by("name", "pk")
    )
