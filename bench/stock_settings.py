"""A stock django-oauth-toolkit project, the reference rows of the benchmark: the unswapped
Application with its default secret hashing, DOT's own TokenView and a bearer-protected view.
Its own throwaway database on the same kind of server as the portal's rows (a SQLite file,
or a database of its own on the same PostgreSQL server: bench/run.py), with Django's defaults
but for persistent connections, which the portal has too; nothing of the portal."""

import os

import environ

SECRET_KEY = os.environ["SECRET_KEY"]
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "oauth2_provider",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "bench.stock_urls"
DATABASE = environ.Env.db_url_config(os.environ["BENCH_STOCK_DATABASE_URL"])
if DATABASE["ENGINE"] == "django.db.backends.sqlite3":
    DATABASE["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL",
    }
DATABASE["CONN_MAX_AGE"] = 60
DATABASES = {"default": DATABASE}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
OAUTH2_PROVIDER = {"ACCESS_TOKEN_EXPIRE_SECONDS": 3600}
