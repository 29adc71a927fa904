"""The changelist's facet counts (design §4): for each sidebar choice, how many Apps of the tab
and search it would show with the other filters kept, as the Django admin's facets, with the
tabs' totals and the pager's count, in one query answered from the index app_owner_facets."""

from __future__ import annotations

from datetime import datetime

from django.db.models import BooleanField, Count, ExpressionWrapper, Q, QuerySet

from accounts.models import Account
from portal.speedups.prepared import Shaped

from ..models import Api, App
from .changelist import LIST_FILTERS, _clean_query, _date_range, _search_q, _today


def changelist_counts(
    account: Account, *, api: str, query: str = "", filters: dict[str, str] | None = None
) -> dict[str, int]:
    """In ONE query: the account's Apps on each API and in all (`total`), how many Apps the tab
    shows with this search and these filters (`shown`: the pager's count), and for each sidebar
    choice (`"trusted=1"`, `"created=today"`...) how many Apps of the tab and search it would
    show with the other filters kept, as the Django admin's facets.

    The Apps are grouped by their API, trusted, enabled, the span of days they were created in
    (_by_bucket) and whether the search matches them (a few dozen groups); which choices match
    each group is worked out here and the groups summed: a COUNT per choice and filter
    combination cost more to build than the database took to answer it (make bench, P4)."""
    query, filters = _clean_query(query), filters or {}
    searched = {"query": query} if query else {}
    today = _today()
    bounds = _bounds(today)
    groups = _by_bucket(_GROUPS.rows((today, bool(query)), owner=account.pk, **searched), bounds)
    _choices_matched(groups, today, bounds)

    def count(groups: list[dict], *kept: str) -> int:
        return sum(group["n"] for group in groups if all(group[_CHOICE_COLUMN[c]] for c in kept))

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


_CHOICES = [f"{f.parameter}={value}" for f in LIST_FILTERS for value, _label in f.choices]
_CHOICE_COLUMN = {choice: f"c{i}" for i, choice in enumerate(_CHOICES)}


def _bounds(today: datetime) -> list[datetime]:
    """Every start and end of the created choices, in order: an App's `bucket` is the first
    of them it was created before."""
    created = next(f for f in LIST_FILTERS if f.parameter == "created")
    return sorted({at for value, _label in created.choices for at in _date_range(value, today)})


def _groups_query(key: tuple, *, owner: int, query: str = "") -> QuerySet:
    """changelist_counts' one query: an owner's Apps grouped by API, trusted and enabled (and,
    with a search, whether it matches them), with how many of each group were created before
    each bound of the created choices (`before0`...), from the day `key` names. The groups are
    in the order of the index app_owner_facets, which holds every column read: the database
    answers from the index alone, without sorting. (Grouping by the span of days as well took
    SQLite 0.54 ms for 1000 Apps, a temporary B-tree and a table read per App; a column per
    choice 0.7 ms.)"""
    today, _searched = key
    searched = {"searched": _boolean(_search_q(query))} if query else {}
    # A count of `created` (never null), not of the key: PostgreSQL's index holds no id (SQLite's
    # rowid is in every index), and Django refuses a filtered COUNT(*).
    before = {f"before{i}": Count("created", filter=Q(created__lt=at)) for i, at in enumerate(_bounds(today))}
    return (
        App.objects.filter(owner_id=owner)
        .order_by()
        .values("api", "trusted", "enabled", **searched)
        .annotate(n=Count("*"), **before)
    )


def _by_bucket(groups: list[dict], bounds: list[datetime]) -> list[dict]:
    """The query's groups split by the span of days their Apps were created in: `bucket` i
    holds the Apps created before bounds[i] and not before bounds[i - 1] (the last, those
    created after every bound); empty spans are left out."""
    split = []
    for group in groups:
        below = [group.pop(f"before{i}") for i in range(len(bounds))]
        for bucket, (upper, lower) in enumerate(zip([*below, group["n"]], [0, *below], strict=True)):
            if upper > lower:
                split.append({**group, "bucket": bucket, "n": upper - lower})
    return split


def _choices_matched(groups: list[dict], today: datetime, bounds: list[datetime]) -> None:
    """Each group with whether each sidebar choice matches its Apps (its _CHOICE_COLUMN), its
    `bucket` an index into `bounds` (_bounds of `today`)."""
    for group in groups:
        for choice, column in _CHOICE_COLUMN.items():
            parameter, value = choice.split("=", 1)
            if parameter == "created":
                start, end = _date_range(value, today)
                group[column] = bounds.index(start) < group["bucket"] <= bounds.index(end)
            else:
                group[column] = bool(group[parameter]) == (value == "1")


# Compiled once per process per day and search-or-not (portal.speedups.prepared.Shaped).
_GROUPS = Shaped(_groups_query)
