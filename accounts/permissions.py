"""Who may see and manage which account (design §2): itself and everything below it."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import Account


def can_manage_account(actor: Account, account: Account) -> bool:
    """True when `account` is the actor's own account or lies anywhere below it."""
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return False
    # Walk up the parents already loaded (select_related); ask the database only where the
    # chain stops before the top.
    current = account
    while current is not None:
        if actor.pk in (current.pk, current.parent_id):
            return True
        if current.parent_id is None:
            return False  # the top of the tree, and the actor was not on the way
        if not type(current).parent.is_cached(current):
            break
        current = current.parent
    return type(account).objects.manageable_by(actor).filter(pk=account.pk).exists()
