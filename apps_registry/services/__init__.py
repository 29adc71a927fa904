"""Every write to an App (design §3). The portal, /oauth/register.php, the Django admin and the
command line all call these, so a rule cannot differ between entry points.

Each service takes the acting account, checks again that it may manage the App's owner
(PermissionDenied otherwise), runs in one transaction, writes its audit row, and refuses a
broken rule with a ValidationError carrying a stable code.

One module per thing written, every public name importable from here:
- `app.py`: an App's life (app_create, app_update, app_set_enabled, app_remove, and the bulk
  actions apps_set_enabled, apps_remove: one transaction and a digest of notices for them all);
- `contacts.py`: its admin e-mail (which addresses are mailed, the confirmation link);
- `adding.py`: adding an App as someone asks for it (app_add: a form sent twice, a twin, a
  key taken, as an outcome);
- `secrets.py`: its secrets (reveal, add, remove, regenerate, apps_regenerate_secret; when one
  was last used);
- `credentials.py`: what it issued (revoke its tokens, bulk deletes, the purge of removed
  secrets' rows);
- `authorizations.py`: the grants accounts gave it (design §8);
- `_rules.py`: what they share (the permission check, the audit row and its notices, the
  creation rules, a bulk action's outcome).
"""

from portal.audit import COMMAND_LINE as COMMAND_LINE  # re-exported, as Origin is
from portal.audit import Origin

from ._rules import (
    EDITABLE_FIELDS,
    REGISTRATION_FIELDS,
    BulkOutcome,
    check_api_allowed,
    check_app_limit,
    may_mark_resource_server,
)
from .adding import KEY_ATTEMPTS, AddOutcome, AppAdd, app_add, app_add_check
from .app import app_create, app_remove, app_set_enabled, app_update, apps_remove, apps_set_enabled
from .authorizations import (
    LAST_USED_RESOLUTION,
    app_authorization_grant,
    app_authorization_hold,
    app_authorization_used,
    app_revoke_access,
)
from .contacts import app_email_confirm, app_email_confirmation_ask
from .credentials import (
    PURGE_BATCH,
    app_revoke_tokens,
    delete_access_token_rows,
    purge_removed_secrets,
    revoke_account_credentials,
)
from .secrets import (
    USE_RESOLUTION,
    app_add_secret,
    app_regenerate_secret,
    app_remove_secret,
    app_reveal_secret,
    apps_regenerate_secret,
    record_secret_use,
)

__all__ = [
    "COMMAND_LINE",
    "EDITABLE_FIELDS",
    "KEY_ATTEMPTS",
    "LAST_USED_RESOLUTION",
    "PURGE_BATCH",
    "REGISTRATION_FIELDS",
    "USE_RESOLUTION",
    "AddOutcome",
    "AppAdd",
    "BulkOutcome",
    "Origin",
    "app_add",
    "app_add_check",
    "app_add_secret",
    "app_authorization_grant",
    "app_authorization_hold",
    "app_authorization_used",
    "app_create",
    "app_email_confirm",
    "app_email_confirmation_ask",
    "app_regenerate_secret",
    "app_remove",
    "app_remove_secret",
    "app_reveal_secret",
    "app_revoke_access",
    "app_revoke_tokens",
    "app_set_enabled",
    "app_update",
    "apps_regenerate_secret",
    "apps_remove",
    "apps_set_enabled",
    "check_api_allowed",
    "check_app_limit",
    "delete_access_token_rows",
    "may_mark_resource_server",
    "purge_removed_secrets",
    "record_secret_use",
    "revoke_account_credentials",
]
