"""The OAuth 2.0 endpoints (design §5 and 6): /oauth/register.php, authorize, token, revoke,
introspect, and the "who am I" resource /uapi/@me.

django-oauth-toolkit (through its OAuthLibCore and our Validator) does the OAuth work:
authorization codes, token issue, refresh, revocation. The views here add what VoipNow's
endpoints do beyond it: self-registration (register.php; RFC 7591/7592 registration), a
consent page one can sign in on, error descriptions on every token error, introspection that
names the API and the account.
"""

from .authorize import authorize, authorize_resume
from .discovery import authorization_server_metadata_view, protected_resource_metadata_view
from .errors import csrf_failure, server_error
from .register import register, register_consent, register_resume
from .registration import client_configuration, register_client
from .resources import introspect, me
from .token import revoke, token

__all__ = [
    "authorization_server_metadata_view",
    "authorize",
    "authorize_resume",
    "client_configuration",
    "csrf_failure",
    "introspect",
    "me",
    "protected_resource_metadata_view",
    "register",
    "register_client",
    "register_consent",
    "register_resume",
    "revoke",
    "server_error",
    "token",
]
