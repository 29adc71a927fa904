"""Who may see and manage which account (DESIGN 2): itself and everything below it."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import Account


def can_manage_account(actor: Account, account: Account) -> bool:
    """True when `account` is the actor's own account or lies anywhere below it."""
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return False
    if account.pk == actor.pk or account.parent_id == actor.pk:
        return True
    return type(account).objects.manageable_by(actor).filter(pk=account.pk).exists()


def manageable_by(actor: Account):
    """The accounts the actor may see and manage, as a queryset (one query, any depth)."""
    from .models import Account

    return Account.objects.manageable_by(actor)
