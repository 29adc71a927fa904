"""Settings for the App registration portal, read from the environment (see .env.example).

Production is the default: DEBUG is off unless the environment says otherwise, and every
secret must then be given. Development (DEBUG=true) fills in safe local defaults.
"""

import base64
import binascii
import hashlib
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=False)

if DEBUG:
    SECRET_KEY = env.str("SECRET_KEY", default="django-insecure-development-only-key-never-use-in-production")
else:
    SECRET_KEY = env.str("SECRET_KEY")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])


def _app_secret_keys() -> list[str]:
    """Fernet keys for App secrets: the first encrypts, every one decrypts (rotation)."""
    keys = env.list("APP_SECRET_KEYS", default=[])
    if not keys:
        if not DEBUG:
            raise ImproperlyConfigured(
                "APP_SECRET_KEYS is required when DEBUG is off. Generate a key with: python -c "
                '"from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
            )
        # Development only: a key derived from SECRET_KEY, so a fresh checkout runs as is.
        digest = hashlib.sha256(b"app-secret-keys:" + SECRET_KEY.encode()).digest()
        return [base64.urlsafe_b64encode(digest).decode()]
    for position, key in enumerate(keys, start=1):
        try:
            valid = len(base64.urlsafe_b64decode(key.encode())) == 32
        except (binascii.Error, ValueError):
            valid = False
        if not valid:
            raise ImproperlyConfigured(
                f"APP_SECRET_KEYS entry {position} is not a Fernet key (32 url-safe base64 bytes)."
            )
    return keys


APP_SECRET_KEYS = _app_secret_keys()

# How many Apps one account may own (DESIGN 3). Services read it at call time.
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
    "accounts",
    "apps_registry",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "portal.middleware.RequireTLSMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "portal.urls"
CSRF_FAILURE_VIEW = "portal.views.csrf_failure"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# An empty DATABASE_URL means the default too: a SQLite file in the project.
DATABASE_URL = env.str("DATABASE_URL", default="") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
DATABASES = {"default": environ.Env.db_url_config(DATABASE_URL)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            # BEGIN IMMEDIATE takes the write lock up front, so concurrent writers queue
            # (up to `timeout` seconds) instead of failing with "database is locked".
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            # WAL lets readers run beside the writer; a 64 MiB page cache keeps bulk token
            # deletes (regenerate on an App with 100k tokens) from thrashing the indexes.
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                "PRAGMA cache_size=-65536; PRAGMA mmap_size=268435456;"
            ),
        }
    )
else:
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Persistent connections, on SQLite too: opening one runs the PRAGMAs above, and closing the
# last one checkpoints the WAL, which cost a token request 20 ms on every request (make bench).
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.Account"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "accounts:me"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# --- Security -----------------------------------------------------------------------
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
X_FRAME_OPTIONS = "DENY"
# Production runs behind a TLS-terminating proxy (DESIGN 7) that sets X-Forwarded-Proto
# and strips any value sent by the client. Turn off when the portal faces clients directly.
if env.bool("TRUST_X_FORWARDED_PROTO", default=not DEBUG):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The same proxy appends the client's address to X-Forwarded-For: the audit trail records
# that last entry (an address the client wrote itself would come before it), not the proxy's.
TRUST_X_FORWARDED_FOR = env.bool("TRUST_X_FORWARDED_FOR", default=not DEBUG)

SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]

# DESIGN 7: plain-HTTP requests to the OAuth endpoints and the APIs are refused with a clear
# error (portal.middleware.RequireTLSMiddleware), never redirected: by then the secret or the
# token has already crossed the network in the clear.
TLS_REQUIRED_PATHS = ("/oauth/", "/uapi/", "/unifiedapi/")
SECURE_REDIRECT_EXEMPT = [r"^oauth/", r"^uapi/", r"^unifiedapi/"]
# Development only: let loopback clients use those paths over plain HTTP.
# `check --deploy` warns when this is on.
OAUTH_ALLOW_LOOPBACK_HTTP = env.bool("OAUTH_ALLOW_LOOPBACK_HTTP", default=False)

# --- OAuth 2.0 (django-oauth-toolkit) ------------------------------------------------


def _pkce_required(client_id: str) -> bool:
    """PKCE is honoured when sent, never demanded: every App is a confidential client that
    authenticates at the token endpoint, and VoipNow Apps do not send it (DESIGN 6)."""
    return False


OAUTH2_PROVIDER_APPLICATION_MODEL = "apps_registry.App"
OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL = "apps_registry.AccessToken"
OAUTH2_PROVIDER_REFRESH_TOKEN_MODEL = "apps_registry.RefreshToken"
# Not swapped, but named: migrations resolve every swappable token model by its setting.
OAUTH2_PROVIDER_ID_TOKEN_MODEL = "oauth2_provider.IDToken"
OAUTH2_PROVIDER_GRANT_MODEL = "oauth2_provider.Grant"
OAUTH2_PROVIDER = {
    "OAUTH2_VALIDATOR_CLASS": "apps_registry.oauth.Validator",
    "ACCESS_TOKEN_EXPIRE_SECONDS": 3600,
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
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
