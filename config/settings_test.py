"""The test overlay: the production settings with fixed test keys and a fast password hasher."""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")
# Two fixed Fernet keys (tests rotate between them); never used outside the test suite.
TEST_APP_SECRET_KEYS = [
    "dGVzdC1rZXktb25lLTMyLWJ5dGVzLWxvbmctLS0tLS0=",
    "dGVzdC1rZXktdHdvLTMyLWJ5dGVzLWxvbmctLS0tLS0=",
]
os.environ.setdefault("APP_SECRET_KEYS", TEST_APP_SECRET_KEYS[0])
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")

from .settings import *  # noqa: E402, F403
from .settings import BASE_DIR, DATABASES, STORAGES  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
# The test client speaks plain HTTP; the redirect itself is covered by `check --deploy`.
SECURE_SSL_REDIRECT = False

# One test database per run (two runs side by side must not share one).
if DATABASES["default"]["ENGINE"] == "portal.speedups.sqlite3":
    # A file, not SQLite's shared in-memory database, so threads in the concurrency tests
    # lock the way they do in production.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / f".test-db-{os.getpid()}.sqlite3")}
else:
    DATABASES["default"]["TEST"] = {"NAME": f"test_portal_{os.getpid()}"}

# Live-server threads would otherwise keep their connections open past the test, and
# PostgreSQL refuses to drop a test database that is still in use.
DATABASES["default"]["CONN_MAX_AGE"] = 0

# Serve static files from the finders: the suite never runs collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# The test client and the live server speak plain HTTP from loopback; the refusal of plain
# HTTP is tested with this turned off.
OAUTH_ALLOW_LOOPBACK_HTTP = True
