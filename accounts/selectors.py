"""Reads about accounts that several places need: the account an actor may manage, the
trail of accounts from the actor's own down to it, and the changes made to accounts."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.http import Http404

from .models import Account, AccountEvent
from .permissions import can_manage_account


def manageable_account(actor: Account, pk: int) -> Account:
    """The account with its whole chain of parents (the tree is at most four levels deep), or
    Http404 when it is missing or out of the actor's reach: decided on that chain, without a
    query of its own (a fifth of the changelist's time went into compiling manageable_by's
    joins)."""
    try:
        account = Account.objects.select_related("parent__parent__parent").get(pk=pk)
    except Account.DoesNotExist:
        account = None
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
