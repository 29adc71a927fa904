"""The OAuth use cases that write: register.php's consent (design §5, `consent`), RFC 7591/7592
registration (design §6.1, `registration`) and its initial access tokens (`initial_tokens`).

Like the App services below them, they take the acting account, own their transaction, and
refuse a broken rule with a typed exception; the views only parse and answer.
"""

from apps_registry.services import COMMAND_LINE

from ..registration import RegistrationError
from .consent import ConsentAlreadyUsed, Registration, TwinApp, issue_code, register_by_consent
from .initial_tokens import (
    IAT_MAX_LIFETIME,
    IAT_MAX_USES,
    initial_access_token_create,
    initial_access_token_revoke,
)
from .registration import (
    INVALID_TOKEN,
    Registered,
    open_registration_account,
    registration_check,
    registration_create,
    registration_delete,
    registration_read,
    registration_update,
)

__all__ = [
    "COMMAND_LINE",
    "IAT_MAX_LIFETIME",
    "IAT_MAX_USES",
    "INVALID_TOKEN",
    "ConsentAlreadyUsed",
    "Registered",
    "Registration",
    "RegistrationError",
    "TwinApp",
    "initial_access_token_create",
    "initial_access_token_revoke",
    "issue_code",
    "open_registration_account",
    "register_by_consent",
    "registration_check",
    "registration_create",
    "registration_delete",
    "registration_read",
    "registration_update",
]
