"""What the token triggers' refusals mean, recognised in this one place, beside the migrations
that raise them (the loader skips a module whose name starts with "_").

Each trigger on apps_registry_accesstoken refuses an INSERT with a message that starts with a
name and a colon: "app_secret_changed: ..." (migration 0009, 0004 before it),
"app_owner_disabled: ..." and "account_disabled: ..." (migration 0005); the trigger on
apps_registry_refreshtoken refuses one whose grant is gone with "app_access_revoked: ..."
(migration 0013). PostgreSQL raises them with SQLSTATE 23000 (integrity_constraint_violation),
23R01 for the last, and the message as its primary message;
SQLite's RAISE(ABORT, ...) gives the message as the error's whole text. Django turns both into
an IntegrityError; `refusal` reads the name back from the driver's own error, whole, so no
other integrity error (a duplicate key, a foreign key) is ever mistaken for one.
"""

from __future__ import annotations

# The names the triggers raise (the text before the colon of their messages).
SECRET_CHANGED = "app_secret_changed"  # noqa: S105 - a trigger's name for a refusal, not a secret
APP_OWNER_DISABLED = "app_owner_disabled"
ACCOUNT_DISABLED = "account_disabled"
ACCESS_REVOKED = "app_access_revoked"
REFUSALS = frozenset({SECRET_CHANGED, APP_OWNER_DISABLED, ACCOUNT_DISABLED, ACCESS_REVOKED})
INTEGRITY_CONSTRAINT_VIOLATION = "23000"
ACCESS_REVOKED_SQLSTATE = "23R01"  # class 23: drivers raise it as an IntegrityError
SQLSTATES = frozenset({INTEGRITY_CONSTRAINT_VIOLATION, ACCESS_REVOKED_SQLSTATE})


def refusal(error: Exception) -> str | None:
    """The name of the trigger refusal `error` (an IntegrityError) is, or None for any other."""
    cause = error.__cause__
    diag = getattr(cause, "diag", None)
    if diag is not None:  # PostgreSQL (psycopg)
        if getattr(cause, "sqlstate", None) not in SQLSTATES:
            return None
        message = diag.message_primary or ""
    else:  # SQLite: the RAISE's message is the error's text
        message = str(cause if cause is not None else error)
    name = message.partition(":")[0]
    return name if name in REFUSALS else None
