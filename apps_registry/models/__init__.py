"""Apps (design §3): the swapped django-oauth-toolkit Application, its secrets and tokens, the
grants and the audit trail, and what registration remembers; one module per seam, every name
importable from here (Django, the migrations and the other layers use `apps_registry.models.X`).

- `app.py`: the App, its queryset and manager (its `api` choices: apps_registry/apis.py);
- `app_secret.py`: AppSecret (encrypted; two while an App rotates);
- `tokens.py`: AccessToken, RefreshToken, the live-secret conditions and LiveTokenManager;
- `audit.py`: AppAuthorization (an account's grant to an App) and AuditEvent;
- `contacts.py`: EmailConfirmation (the link mailed to an App's admin e-mail);
- `registration.py`: RedeemedCode, ConsumedRegistration, InitialAccessToken, ClientRegistration,
  and what Client ID Metadata Documents remember (MetadataFetch, RefusedMetadataHost).

The redirect-URL rules live in apps_registry/redirect_uris.py; they are re-exported here for
the migrations, which name the field validators by this path.
"""

from portal.audit import AuditSource  # shared with the accounts' trail; still importable from here

from ..apis import Api
from ..redirect_uris import (
    LOOPBACK_HOSTS,
    MAX_REDIRECT_URIS,
    NATIVE_LOOPBACK_HOSTS,
    is_native_loopback,
    redirect_uri_schemes,
    validate_client_redirect_uri,
    validate_http_url,
    validate_redirect_uri,
)
from .app import App, AppManager, AppQuerySet
from .app_secret import MAX_SECRETS, SECRET_CHANGED, AppSecret, AppSecretQuerySet
from .audit import AppAuthorization, AuditAction, AuditEvent
from .contacts import EmailConfirmation
from .registration import (
    ClientRegistration,
    ConsumedRegistration,
    InitialAccessToken,
    MetadataFetch,
    RedeemedCode,
    RefusedMetadataHost,
)
from .tokens import (
    ACCESS_REVOKED,
    ACCOUNT_DISABLED,
    APP_OWNER_DISABLED,
    AccessToken,
    LiveTokenManager,
    RefreshToken,
    live_secret_among_q,
    live_secret_q,
    live_token_q,
    minted_with,
)

__all__ = [
    "ACCESS_REVOKED",
    "ACCOUNT_DISABLED",
    "APP_OWNER_DISABLED",
    "LOOPBACK_HOSTS",
    "MAX_REDIRECT_URIS",
    "MAX_SECRETS",
    "NATIVE_LOOPBACK_HOSTS",
    "SECRET_CHANGED",
    "AccessToken",
    "Api",
    "App",
    "AppAuthorization",
    "AppManager",
    "AppQuerySet",
    "AppSecret",
    "AppSecretQuerySet",
    "AuditAction",
    "AuditEvent",
    "AuditSource",
    "ClientRegistration",
    "ConsumedRegistration",
    "EmailConfirmation",
    "InitialAccessToken",
    "LiveTokenManager",
    "MetadataFetch",
    "RedeemedCode",
    "RefreshToken",
    "RefusedMetadataHost",
    "is_native_loopback",
    "live_secret_among_q",
    "live_secret_q",
    "live_token_q",
    "minted_with",
    "redirect_uri_schemes",
    "validate_client_redirect_uri",
    "validate_http_url",
    "validate_redirect_uri",
]
