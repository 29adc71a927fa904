"""Settings for the App registration portal, read from the environment (see .env.example;
config/environment.py reads and checks the values that take more than a line).

Production is the default: DEBUG is off unless the environment says otherwise, and every
secret must then be given. Development (DEBUG=true) fills in safe local defaults.
"""

import logging
import re
from datetime import timedelta

from csp.constants import NONE, SELF

from config import environment
from config.environment import BASE_DIR, env
from oauth import endpoints as oauth_endpoints
from ops import endpoints as ops_endpoints

DEBUG = env.bool("DEBUG", default=False)

if DEBUG:
    SECRET_KEY = env.str("SECRET_KEY", default="django-insecure-development-only-key-never-use-in-production")
else:
    SECRET_KEY = env.str("SECRET_KEY")
# Rotation: the new key in SECRET_KEY, the old one here until the sessions, signed consent
# forms and password-reset links it signed have expired (see docs/deployment.md).
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])

# Fernet keys for App secrets: the first encrypts, every one decrypts (rotation).
APP_SECRET_KEYS = environment.app_secret_keys(debug=DEBUG, secret_key=SECRET_KEY)

# How many Apps one account may own (design §3). Services read it at call time.
APP_LIMIT_PER_ACCOUNT = env.int("APP_LIMIT", default=1000)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "template_partials",
    "oauth2_provider",
    "corsheaders",
    "axes",
    "csp",
    # The outbox of the e-mail notices: django-tasks and its database backend (see TASKS).
    "django_tasks",
    "django_tasks_db",
    # Sign-in with external identity providers only (accounts/external.py): allauth's own
    # login, signup and password pages are not mounted.
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.google",
    "allauth.socialaccount.providers.openid_connect",
    # The project's own apps, lowest layer first: each imports only from those above it here
    # (tests/test_layers.py). The kernel, then operations, then the rooms.
    "portal",
    "ops",
    "accounts",
    "apps_registry",
    "oauth",
    "playground",
]

# Sessions, the signed-in user, messages and htmx are for pages: the endpoints programs call
# (oauth/endpoints.py) skip them (portal.speedups.page_middleware); the rest guards every request.
API_PATHS = oauth_endpoints.PROGRAM_PATHS
MIDDLEWARE = [
    # First: X-Forwarded-Proto from anyone but a trusted proxy is dropped before Django reads it.
    "portal.middleware.ForwardedHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # CORS for browser-based clients, on the OAuth endpoints that declare it only (below).
    "corsheaders.middleware.CorsMiddleware",
    "oauth.middleware.RequireTLSMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "portal.speedups.page_middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "portal.speedups.page_middleware.AuthenticationMiddleware",
    # Around LoginRequiredMiddleware: an htmx request whose session ended signs in full-page.
    "portal.middleware.HtmxSignInMiddleware",
    "portal.speedups.page_middleware.LoginRequiredMiddleware",
    "portal.speedups.page_middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "portal.speedups.page_middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "portal.speedups.page_middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into its answer (429).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
CSRF_FAILURE_VIEW = "oauth.views.csrf_failure"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            # {% url %} with reverse() remembered per process (portal/speedups/urls.py).
            "builtins": ["portal.speedups.urls"],
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# An empty DATABASE_URL means the default too: a SQLite file in the project.
DATABASES = {"default": environment.database(environment.database_url())}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.Account"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# django-axes first: while an (account, address) pair is locked out it refuses the sign-in
# before any backend hashes a password.
# The second is Django's ModelBackend, the signed-in account's read compiled once (portal/speedups/).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "portal.speedups.auth.ModelBackend",
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "accounts:me"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
# Off: the portal is written in English and has no LocaleMiddleware, so with it on every
# page was English anyway, and each gettext, {% url %} and number written looked up the active
# language first (Django's documented switch "for performance"; what it buys is in
# portal/speedups/__init__.py). Turning translations on means this and LocaleMiddleware
# (tests/portal/test_translation_off.py fails the day a page would read differently).
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "portal.speedups.static.StaticFilesStorage"
        )
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# --- Security -----------------------------------------------------------------------
# Django's database sessions, the read of each request compiled once (portal/speedups/).
SESSION_ENGINE = "portal.speedups.sessions"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
# Preloading is a promise about the whole domain that only its operator can make, so it
# is off unless asked for; security.W021 is silenced below for that reason.
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy on every response (django-csp): no inline script or style anywhere,
# no framing. The consent pages show the App's own https image, hence `img-src https:`.
# form-action is deliberately left out: browsers apply it to the redirect that follows a form
# POST, and register.php's and authorize.php's consent forms redirect to the App's redirect URI
# on another origin (and sign-in with an external identity provider posts, then redirects to it).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "https:", "data:"],
        "connect-src": [SELF],
        "font-src": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}
# The proxies in front of the portal (design §7): addresses or CIDR networks, comma-separated,
# empty by default. X-Forwarded-Proto and X-Forwarded-For count only on a request whose peer
# (REMOTE_ADDR) is one of them (portal.middleware): from anyone else the first is dropped and
# the second ignored, so a client facing gunicorn cannot claim HTTPS or another address.
TRUSTED_PROXIES = environment.trusted_proxies()
if TRUSTED_PROXIES:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The switches TRUSTED_PROXIES replaced, if the environment still sets them (check --deploy).
LEGACY_PROXY_SWITCHES = [
    name for name in ("TRUST_X_FORWARDED_PROTO", "TRUST_X_FORWARDED_FOR") if env.str(name, default="")
]

# --- Sign-in throttling (django-axes) ------------------------------------------------
# Every sign-in form (the portal's, the Django admin's, the two consent pages) goes through
# `authenticate()`, which django-axes guards: after AXES_FAILURE_LIMIT failures for one
# account name from one address, that pair is refused for the cool-off (counted from the
# last failure) with the same 429 answer whether the account exists or not, and no password
# is hashed meanwhile. The attempts live in the database, so every process shares them.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# django-axes keeps the failed requests' parameters: the password is masked always; mask the
# CSRF token too (the account name and address are masked in its log lines, kept in its table).
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "csrfmiddlewaretoken"]
# The same address the audit trail records (REMOTE_ADDR, or the client a trusted proxy names).
AXES_CLIENT_IP_CALLABLE = "portal.middleware.client_ip"
AXES_LOCKOUT_CALLABLE = "accounts.signin.lockout"
# No start-up banner, and its log lines name only what the lockout counts (account, address).
AXES_VERBOSE = False
# Its records are not in the Django admin: they span every tree, and deleting one lifts a
# lockout. Operators use axes_reset_username / axes_reset_ip / axes_reset_ip_username.
AXES_ENABLE_ADMIN = False

SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
# More, from the environment: e.g. oauth.W001 once open registration is a deliberate choice.
SILENCED_SYSTEM_CHECKS += env.list("SILENCED_SYSTEM_CHECKS", default=[])

# design §7: plain-HTTP requests to the OAuth endpoints and the APIs (the trees of
# oauth/endpoints.py) are refused with a clear error (oauth.middleware.RequireTLSMiddleware),
# never redirected: by then the secret or the token has already crossed the network in the
# clear. The probes (ops/endpoints.py) answer plain HTTP: see "Probes and metrics" below.
SECURE_REDIRECT_EXEMPT = [
    *(f"^{re.escape(tree.lstrip('/'))}" for tree in oauth_endpoints.TLS_TREES),
    *(f"^{re.escape(route)}$" for route in ops_endpoints.PROBES),
]
# Development only: let loopback clients use those paths over plain HTTP.
# `check --deploy` warns when this is on.
OAUTH_ALLOW_LOOPBACK_HTTP = env.bool("OAUTH_ALLOW_LOOPBACK_HTTP", default=False)

# The portal's public address (e.g. https://portal.example.com), shown by the developer
# playground in its callback URL and curl commands. Empty: the scheme and host of the request
# being served, which Django checks against ALLOWED_HOSTS. Nothing ever connects to it: the
# playground serves its steps in-process (playground/client.py). The e-mail notices of App
# changes link to the App's page only when it is set (never to the Host of a request).
PORTAL_BASE_URL = env.str("PORTAL_BASE_URL", default="")

# The OAuth 2.0 issuer identifier (RFC 8414 §2): the public https address the discovery
# documents name, and the `iss` of authorization responses (RFC 9207). Never taken from a
# request's Host. Default: PORTAL_BASE_URL. An absolute https URL with no path, query or
# fragment (plain http for a loopback host only while OAUTH_ALLOW_LOOPBACK_HTTP is on); unset
# or invalid, the discovery documents answer 503 saying so (oauth/discovery.py), and
# `check --deploy` warns (oauth/checks.py).
OAUTH_ISSUER = env.str("OAUTH_ISSUER", default=PORTAL_BASE_URL).rstrip("/")
# RFC 8707: resource servers besides the portal's own APIs that accept an API's tokens (a
# token asked for with `resource=` one of them is bound to it), e.g. a VoipNow MCP server:
# "unifiedapi=https://mcp.example.com/mcp,systemapi=https://tools.example.com/".
OAUTH_EXTRA_RESOURCES = env.list("OAUTH_EXTRA_RESOURCES", default=[])

# --- E-mail: the notices of App changes (design §3, apps_registry/notices.py) ----------------
# EMAIL_URL (django-environ): smtp://host:25, smtp+tls://user:password@host:587 (STARTTLS),
# smtps:// or smtp+ssl://user:password@host:465 (TLS from the start), consolemail:// (printed
# on stdout), dummymail:// (dropped). Unset: the console, in development and in production
# alike, where `check --deploy` warns (portal.W004) so the notices are not left in the log
# unnoticed. Another scheme stops the portal at start-up (config.environment.email).
_email_url = environment.email_url()
EMAIL_URL_SET = bool(_email_url)
_email = environment.email(_email_url)
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email.get("EMAIL_HOST") or "localhost"
EMAIL_USE_TLS = bool(_email.get("EMAIL_USE_TLS"))
EMAIL_USE_SSL = bool(_email.get("EMAIL_USE_SSL"))
EMAIL_PORT = _email.get("EMAIL_PORT") or (465 if EMAIL_USE_SSL else 587 if EMAIL_USE_TLS else 25)
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER") or ""
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD") or ""
# Seconds each step of talking to the mail server may take (the outbox's worker sends the
# notices, never a request: see TASKS below).
EMAIL_TIMEOUT = env.float("EMAIL_TIMEOUT", default=5.0)
# The sender of the notices (an address of your domain: `check --deploy` warns about Django's
# placeholder when mail goes to an SMTP server), and of Django's own error mails.
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="") or "webmaster@localhost"
SERVER_EMAIL = env.str("SERVER_EMAIL", default="") or DEFAULT_FROM_EMAIL

# --- The OAuth 2.0 server: registration, metadata documents, CORS, django-oauth-toolkit -------
from config.oauth_settings import *  # noqa: E402, F403

# --- Probes and metrics (docs/deployment.md, section 9) ------------------------------------
# /healthz and /readyz answer plain HTTP too (exempt from the redirect above): probes speak
# HTTP to the process, and they take a 301 for success, which would hide a failing database.
# /metrics (Prometheus) is served only to a scraper that sends `Authorization: Bearer` with
# this token; unset, /metrics is a 404. Under gunicorn set PROMETHEUS_MULTIPROC_DIR too.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")

# --- The outbox: notices leave the request (design §3, apps_registry/notices/) ----------------
# A change writes its notices as a task of django-tasks' database backend, in its own
# transaction (rolled back, nothing is sent); `manage.py db_worker` sends them: `make run`
# starts one beside runserver, docs/deployment.md (section 3) runs one as a unit. /metrics shows
# a stuck outbox (ops/outbox.py).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
# Confirmation links mailed to one address in 24 hours, whatever the Apps and accounts that name
# it (design §3): naming a stranger's address on many Apps mails it this many links a day, each
# with no text anyone chose.
ADMIN_EMAIL_CONFIRMATIONS_PER_DAY = env.int("ADMIN_EMAIL_CONFIRMATIONS_PER_DAY", default=3)

# --- External identity providers (django-allauth social accounts) ---------------------
# An external identity signs in only an account it was linked to by that account's owner
# (accounts/external.py); nobody gets an account by signing in, and e-mail addresses never
# link one. Providers come from the environment; none configured means no buttons.


SOCIALACCOUNT_PROVIDERS = environment.external_providers()
SOCIALACCOUNT_ADAPTER = "accounts.external.SocialAccountAdapter"
ACCOUNT_ADAPTER = "accounts.external.AccountAdapter"
SOCIALACCOUNT_AUTO_SIGNUP = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = False
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_STORE_TOKENS = False
ACCOUNT_EMAIL_VERIFICATION = "none"

# --- Logging --------------------------------------------------------------------------
# One line per event, on one handler: every logger propagates to the root's console handler
# and none has a handler of its own, except the development server's access log (its own
# format). Django's default configuration gives the `django` logger a second console handler
# while DEBUG is on, which printed every line twice; naming it here without handlers removes it.
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO").upper()


def _at_least(level: str) -> str:
    """LOG_LEVEL, or `level` when LOG_LEVEL is more verbose: a floor for a chatty library."""
    return max(LOG_LEVEL, level, key=logging.getLevelName)


LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "disallowed_host": {"()": "portal.logging.DisallowedHostWithoutTraceback"},
    },
    "formatters": {
        "line": {"format": "[{asctime}] {levelname} {name}: {message}", "style": "{"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "line"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": [], "level": _at_least("INFO"), "propagate": True},
        # A request for a Host outside ALLOWED_HOSTS is a scanner's noise, not a failure of
        # the portal: one WARNING line naming the host instead of an ERROR with a traceback.
        "django.security.DisallowedHost": {"filters": ["disallowed_host"]},
        # django-axes logs four INFO lines per sign-in: shown only with LOG_LEVEL=DEBUG. What
        # remains is a WARNING per failed sign-in and one for a lockout.
        "axes": {"level": "DEBUG" if LOG_LEVEL == "DEBUG" else _at_least("WARNING")},
        # oauthlib logs every issued access and refresh token at DEBUG ("Issuing token ...");
        # never below INFO, whatever LOG_LEVEL says.
        "oauthlib": {"level": _at_least("INFO")},
    },
}
