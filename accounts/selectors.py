"""Reads about accounts that several places need: the account an actor may manage, the
trail of accounts from the actor's own down to it, and the changes made to accounts."""

from __future__ import annotations

from itertools import pairwise

from django.db import DEFAULT_DB_ALIAS, connection, models
from django.db.models import Q
from django.http import Http404

from portal.speedups.prepared import Shaped

from .models import Account, AccountEvent
from .permissions import can_manage_account

# An account and its parents, each level's every column, as select_related("parent__parent__parent")
# reads them, in one query compiled once per process (portal.speedups.prepared).
_FIELDS = tuple(Account._meta.concrete_fields)
_LEVELS = ("", "parent__", "parent__parent__", "parent__parent__parent__")
_CHAIN = Shaped(
    lambda _key, pk: Account.objects.filter(pk=pk).values_list(
        *(level + field.name for level in _LEVELS for field in _FIELDS)
    ),
    named=False,
)


def _with_parents(pk: int) -> Account | None:
    """Account `pk` with its parents loaded (None past the root), as select_related makes them:
    instances by Model.from_db, each parent in its child's cache; None when it is missing (a
    key out of the column's range too, as the ORM answers without asking the database)."""
    low, high = connection.ops.integer_field_range(Account._meta.pk.get_internal_type())
    rows = _CHAIN.rows(None, pk=pk) if (low is None or low <= pk) and (high is None or pk <= high) else []
    if not rows:
        return None
    names, width, chain = [field.attname for field in _FIELDS], len(_FIELDS), []
    for level in range(len(_LEVELS)):
        values = rows[0][level * width : (level + 1) * width]
        if values[0] is None:
            break
        chain.append(Account.from_db(DEFAULT_DB_ALIAS, names, values))
    parent = Account._meta.get_field("parent")
    for child, above in pairwise(chain):
        parent.set_cached_value(child, above)
    if len(chain) < len(_LEVELS):
        parent.set_cached_value(chain[-1], None)
    return chain[0]


def manageable_account(actor: Account, pk: int) -> Account:
    """The account with its whole chain of parents (the tree is at most four levels deep), or
    Http404 when it is missing or out of the actor's reach: decided on that chain, without a
    query of its own (a fifth of the changelist's time went into compiling manageable_by's
    joins)."""
    account = _with_parents(int(pk))
    if account is None or not can_manage_account(actor, account):
        raise Http404("No Account matches the given query.")
    return account


def breadcrumb(actor: Account, account: Account) -> list[Account]:
    """The accounts from the actor's own down to `account` (parents are select_related)."""
    trail = [account]
    while trail[-1].pk != actor.pk and trail[-1].parent is not None:
        trail.append(trail[-1].parent)
    return trail[::-1]


def app_counts(account: Account) -> list[tuple[int, str]]:
    """How many Apps the account owns on each API, as (count, API label) in the APIs' order
    (through the reverse relation `apps` and its `api` field's choices, so this layer needs no
    import of the App model or of its APIs)."""
    found = dict(account.apps.order_by().values_list("api").annotate(n=models.Count("pk")))
    choices = account.apps.model._meta.get_field("api").choices
    return [(found.get(value, 0), label) for value, label in choices]


def account_events(account: Account) -> models.QuerySet[AccountEvent]:
    """The changes to `account` and to the accounts placed below it, newest first. Only
    accounts the viewer of `account` manages: callers fetch `account` through
    `manageable_account`."""
    return AccountEvent.objects.filter(Q(account=account) | Q(parent=account))
