"""Production: real PostgreSQL, Redis and SMTP from the environment. Refuses to start with an unsafe setup.

`DJANGO_SETTINGS_MODULE=config.settings.production python manage.py check --deploy` prints no warning with the
variables of the README's "Security and production" section set. The site is meant to sit behind a reverse proxy
that terminates TLS and sets X-Forwarded-Proto (overwriting whatever the client sent).
"""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F401,F403
from .base import CELERY_BROKER_URL, DATABASES, SECRET_KEY, env

DEBUG = env.bool("DEBUG", default=False)
if DEBUG:
    raise ImproperlyConfigured("DEBUG must be off in production.")
if (
    SECRET_KEY == "embedded-mode-only-not-a-secret"
    or SECRET_KEY.startswith("django-insecure-")
    or len(SECRET_KEY) < 50
    or len(set(SECRET_KEY)) < 5
):
    raise ImproperlyConfigured(
        "Set SECRET_KEY to a random value of at least 50 characters in production, e.g. "
        "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`."
    )
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("Production runs on PostgreSQL: set DATABASE_URL=postgres://...")
if CELERY_BROKER_URL.startswith("filesystem://"):
    raise ImproperlyConfigured("Production needs a real broker: set CELERY_BROKER_URL=redis://... (or amqp://...).")

# Keep database connections open between requests and check them before use.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

# HTTPS. The proxy terminates TLS and says so in the header named here; set SECURE_PROXY_SSL_HEADER= (empty) when
# no proxy sits in front, or a client could claim HTTPS by sending the header itself.
_proxy_header = env.str("SECURE_PROXY_SSL_HEADER", default="HTTP_X_FORWARDED_PROTO")
SECURE_PROXY_SSL_HEADER = (_proxy_header, "https") if _proxy_header else None
# Redirect plain HTTP to HTTPS. Turn off only when the proxy already redirects (check --deploy then says W008).
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 60 * 60)
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"

# Login lockout: LOGIN_FAILURE_LIMIT, LOGIN_LOCKOUT_MINUTES and LOGIN_IP_HEADER are read in base.py (django-axes).
