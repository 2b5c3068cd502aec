"""Settings of the gunicorn that benchmarks/bench_pages.py drives: production's (persistent connections, no
DEBUG, WhiteNoise), with plain HTTP on 127.0.0.1 and the test suite's fast password hash accepted (the benchmark's
users are created with it), so that logging in does not dominate the setup. The environment (SECRET_KEY,
DATABASE_URL, CELERY_BROKER_URL) is set by the benchmark."""

from django.conf import global_settings

from config.settings.production import *  # noqa: F401,F403

SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *global_settings.PASSWORD_HASHERS]
