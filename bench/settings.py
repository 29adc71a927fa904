"""The production settings plus what the benchmark alone needs: a URLconf that also mounts the
bare view (the yardstick B), static files collected into the benchmark's own directory, quiet logs,
and the e-mail notices of App changes (P5 regenerates) built and kept in memory, not printed.

bench/run.py sets the environment (DEBUG off, throwaway keys, the benchmark's database)."""

import os

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
STATIC_ROOT = os.environ["BENCH_STATIC_ROOT"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
