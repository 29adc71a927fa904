"""The OAuth 2.0 server's settings (design §6): RFC 7591 registration, Client ID Metadata
Documents, CORS for browser-based clients, and django-oauth-toolkit's own. config/settings.py
takes them whole (`from config.oauth_settings import *`); read from the environment as the rest
(.env.example)."""

from config.environment import env
from oauth import endpoints as oauth_endpoints

# --- RFC 7591 registration (oauth/views/registration.py, design §6.1) ---------------------------
# Open registration: /oauth/register without an initial access token, for public clients only
# (token_endpoint_auth_method "none", PKCE S256). Off unless this names the account (username,
# or id) that owns such Apps; docs/deployment.md says what turning it on risks.
OAUTH_OPEN_REGISTRATION_ACCOUNT = env.str("OAUTH_OPEN_REGISTRATION_ACCOUNT", default="")
# Open registrations accepted from one client address per hour, and open-registered Apps that
# may exist at once (beside the owning account's own APP_LIMIT).
OAUTH_OPEN_REGISTRATION_PER_ADDRESS = env.int("OAUTH_OPEN_REGISTRATION_PER_ADDRESS", default=10)
OAUTH_OPEN_REGISTRATION_CAP = env.int("OAUTH_OPEN_REGISTRATION_CAP", default=200)

# --- Client ID Metadata Documents (oauth/client_metadata/, design §6.2) -------------------------
# A client_id that is an https URL names the client's metadata, which the portal fetches and keeps
# as an App of this account (username, or id). Off unless set; docs/deployment.md says what
# turning it on risks. The discovery metadata says client_id_metadata_document_supported only then.
OAUTH_CLIENT_METADATA_ACCOUNT = env.str("OAUTH_CLIENT_METADATA_ACCOUNT", default="")
# Development and the tests only (`check --deploy` refuses it): the document's host may resolve to
# a loopback address. Still https, no redirects, the address pinned.
OAUTH_CLIENT_METADATA_ALLOW_LOOPBACK = env.bool("OAUTH_CLIENT_METADATA_ALLOW_LOOPBACK", default=False)
# Fetches of documents per host per hour (every process's, counted in the database), and how
# many metadata documents' Apps may exist at once (beside the owning account's APP_LIMIT).
OAUTH_CLIENT_METADATA_FETCHES_PER_HOST = env.int("OAUTH_CLIENT_METADATA_FETCHES_PER_HOST", default=30)
OAUTH_CLIENT_METADATA_CAP = env.int("OAUTH_CLIENT_METADATA_CAP", default=500)

# --- CORS: browser-based clients (django-cors-headers; oauth/endpoints.py declares which) -----
# An MCP client in a web page (the MCP Inspector's, say) discovers, registers, exchanges its
# code and calls "who am I" with fetch(): those endpoints answer any origin, never with
# credentials (they read no cookie, so a page cannot act as its visitor), and the preflight
# allows the headers such a client sends. The consent pages are navigated to, never fetched, and
# introspection is a server's call: neither is listed. WWW-Authenticate is exposed so that the
# client reads /uapi/@me's challenge (resource_metadata) and the token endpoint's.
CORS_URLS_REGEX = oauth_endpoints.CORS_PATHS
CORS_ALLOW_ALL_ORIGINS = True
CORS_ALLOW_CREDENTIALS = False
CORS_ALLOW_METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"]
CORS_ALLOW_HEADERS = ["authorization", "content-type", "mcp-protocol-version"]
CORS_EXPOSE_HEADERS = ["WWW-Authenticate"]
CORS_PREFLIGHT_MAX_AGE = 86400

# --- OAuth 2.0 (django-oauth-toolkit) ------------------------------------------------


def _pkce_required(client_id: str) -> bool:
    """PKCE is honoured when sent, not demanded, from a confidential client, which authenticates
    at the token endpoint (VoipNow Apps do not send it, design §6). A public client (RFC 7591
    registration) must use it: oauth.validator.Validator.is_pkce_required says so per client."""
    return False


OAUTH2_PROVIDER_APPLICATION_MODEL = "apps_registry.App"
OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL = "apps_registry.AccessToken"
OAUTH2_PROVIDER_REFRESH_TOKEN_MODEL = "apps_registry.RefreshToken"
# Not swapped, but named: migrations resolve every swappable token model by its setting.
OAUTH2_PROVIDER_ID_TOKEN_MODEL = "oauth2_provider.IDToken"
OAUTH2_PROVIDER_GRANT_MODEL = "oauth2_provider.Grant"
OAUTH2_PROVIDER = {
    "OAUTH2_VALIDATOR_CLASS": "oauth.validator.Validator",
    # Hands oauthlib a query it can parse, whatever bytes the client sent.
    "OAUTH2_BACKEND_CLASS": "oauth.validator.OAuthLibCore",
    "ACCESS_TOKEN_EXPIRE_SECONDS": 3600,
    # oauthlib's token values from one read of the system's generator (portal.speedups.tokens).
    "ACCESS_TOKEN_GENERATOR": "portal.speedups.tokens.token_value",
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": 600,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
    "ALLOW_URI_WILDCARDS": False,
    "PKCE_REQUIRED": _pkce_required,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    # RFC 9700: no implicit or password grant, no plain PKCE, no tokens in query strings,
    # `iss` in authorization responses, tokens stored as checksums only.
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_SCHEME": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_MATCHING": True,
    "COMPLIANT_BCP_RFC9700_PKCE_REQUIRED": True,
    # A native App's http://localhost redirect URL matches on any port, as 127.0.0.1's does
    # (RFC 8252 7.3; the MCP authorization specification). Only for the redirect URLs of Apps
    # that registered themselves: apps_registry/redirect_uris.py asks for an exact match first
    # for every other App.
    "ALLOW_LOCALHOST_LOOPBACK": True,
    # Client ID Metadata Documents are the portal's own (oauth/client_metadata/): the library's
    # resolution (CIMD_ENABLED) stays off, its hooks and limits are used. The fetch: at most
    # this many seconds in all (connection, TLS, body) and bytes; a document is fresh for its
    # Cache-Control max-age within [5 minutes, a day]; a failure is not retried for a minute.
    "CIMD_ENABLED": False,
    "CIMD_METADATA_FETCHER": "oauth.client_metadata.MetadataFetcher",
    "CIMD_REGISTRATION_PERMISSION_CLASSES": ("oauth.client_metadata.RefusedHostPermission",),
    "CIMD_FETCH_TIMEOUT_SECONDS": env.float("OAUTH_CLIENT_METADATA_TIMEOUT", default=5.0),
    "CIMD_MAX_DOCUMENT_SIZE": env.int("OAUTH_CLIENT_METADATA_MAX_BYTES", default=5 * 1024),
    "CIMD_METADATA_MIN_AGE_SECONDS": 300,
    "CIMD_METADATA_MAX_AGE_SECONDS": 86_400,
    "CIMD_FAILURE_BACKOFF_SECONDS": 60,
}
