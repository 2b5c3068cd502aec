"""Test settings: real PostgreSQL and Redis, never a silent fallback to SQLite."""

from pathlib import Path

import environ

env = environ.Env()
# Tests default to the machine's PostgreSQL and Redis; the same variables point them elsewhere.
import os  # noqa: E402

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/intese")
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/11")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/11")

from .base import *  # noqa: E402,F401,F403
from .base import BASE_DIR  # noqa: E402

if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":  # noqa: F405
    raise RuntimeError("Tests run on PostgreSQL only: set DATABASE_URL=postgres://...")

SECRET_KEY = "test-only"
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = BASE_DIR / "var" / "test-media"
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
# WhiteNoise warns on every request when the collected-static folder is missing; tests serve no collected files.
Path(STATIC_ROOT).mkdir(parents=True, exist_ok=True)  # noqa: F405
# django-axes stays on, as in production, so the lockout is tested for real. Its backend needs the request:
# Client.login(request=HttpRequest(), username=..., password=...) (axes' documented test guidance) or force_login.
