"""What the App domain does when an account changes (connected in AppsRegistryConfig.ready)."""

from __future__ import annotations

from accounts.models import Account
from accounts.signals import account_deactivated
from portal.audit import Origin

from .services import revoke_account_credentials


def revoke_on_deactivation(sender, *, account: Account, actor: Account, origin: Origin, **kwargs) -> None:
    """A deactivated account keeps nothing: its tokens and codes, as user and as App owner,
    are deleted in the deactivation's own transaction."""
    revoke_account_credentials(account=account)


account_deactivated.connect(revoke_on_deactivation, dispatch_uid="apps_registry.revoke_on_deactivation")
