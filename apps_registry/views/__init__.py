"""The App management pages (design §4): thin views that parse, call one service, and answer.

Every App and account is fetched through the selectors `manageable_app` and
`manageable_account`, so one out of reach is a 404 whatever the method. With htmx
(`request.htmx`) a view answers the named partial of its page template; without JavaScript the
same view answers the whole page.
"""

from .app import app_add, app_edit
from .app_actions import app_remove_view, app_revoke_tokens_view, app_set_enabled_view, app_tokens
from .app_secret import (
    app_add_secret_view,
    app_regenerate_secret_view,
    app_remove_secret_view,
    app_reveal_secret_view,
)
from .audit import audit_trail, audit_trail_csv
from .authorized import authorized_apps_view, revoke_access_view
from .changelist import app_bulk_action, app_list, integration
from .contacts import app_email_confirmation_view, email_confirm

__all__ = [
    "app_add",
    "app_add_secret_view",
    "app_bulk_action",
    "app_edit",
    "app_email_confirmation_view",
    "app_list",
    "app_regenerate_secret_view",
    "app_remove_secret_view",
    "app_remove_view",
    "app_reveal_secret_view",
    "app_revoke_tokens_view",
    "app_set_enabled_view",
    "app_tokens",
    "audit_trail",
    "audit_trail_csv",
    "authorized_apps_view",
    "email_confirm",
    "integration",
    "revoke_access_view",
]
