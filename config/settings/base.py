"""Settings shared by every environment. Every value comes from the environment, with defaults for the
embedded mode (SQLite, file-based broker, e-mails to files) so `make run` needs no server."""

import datetime
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(environ.Env().str("INTESE_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="embedded-mode-only-not-a-secret")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# The links in e-mails and calendar feeds: the embedded server's own address unless set (make run passes PORT).
# The calendar feed's window: deadlines from this many days ago to this many days ahead (README, calendar).
CALENDAR_FEED_PAST_DAYS = env.int("CALENDAR_FEED_PAST_DAYS", default=30)
CALENDAR_FEED_FUTURE_DAYS = env.int("CALENDAR_FEED_FUTURE_DAYS", default=730)
SITE_URL = env.str("SITE_URL", default=f"http://127.0.0.1:{env.int('PORT', default=8000)}")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "viewflow",
    "viewflow.workflow",
    "ninja",
    "axes",
    "agreements",
    "workflows",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # Under /api/ every error is JSON, also those answered before or outside the API's handlers (405, 404...).
    "agreements.api.base.api_json_errors",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "viewflow.middleware.HotwireTurboMiddleware",
    # Last, as django-axes asks: turns a locked-out login into agreements.accounts.security.lockout_response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "django.template.context_processors.i18n",
                "agreements.notifications.context_processors.notifications",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'intese.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server, the worker and beat share one file. WAL lets them read while one of them writes; a writer
    # waits up to 20 s for another (timeout = SQLite's busy timeout) instead of failing; and every transaction
    # takes the write lock when it begins (IMMEDIATE), so one that read first never fails on its first write with
    # "database is locked" (a deferred transaction cannot wait for the lock there, SQLite refuses at once).
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update({
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;",
    })
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes' backend goes first: it refuses a locked-out login before ModelBackend checks the password.
# AccountBackend is ModelBackend reading the user of a request with their roles and unread count in one query.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "agreements.accounts.backends.AccountBackend"]

# Accounts from the Region's directory (agreements.accounts.directory): on when LDAP_SERVER_URI is set. The
# directory's groups (by name, cn) map to the office's roles and to the DG of a referent.
LDAP_SERVER_URI = env.str("LDAP_SERVER_URI", default="")
LDAP_ROLE_GROUPS = env.dict("LDAP_ROLE_GROUPS", default={
    "intese-redattori": "redattore", "intese-referenti-dg": "referente_dg", "intese-dirigenti": "dirigente",
    "intese-segreteria": "segreteria_giunta", "intese-osservatori": "osservatore",
    "intese-amministratori": "amministratore",
})
LDAP_DG_GROUPS = env.dict("LDAP_DG_GROUPS", default={})  # e.g. intese-dg-agri=dg-agri,intese-dg-crli=dg-crli
if LDAP_SERVER_URI:
    import ldap
    from django_auth_ldap.config import GroupOfNamesType, LDAPSearch, NestedActiveDirectoryGroupType

    _active_directory = env.str("LDAP_GROUP_TYPE", default="groupOfNames") == "activedirectory"
    AUTH_LDAP_SERVER_URI = LDAP_SERVER_URI
    AUTH_LDAP_START_TLS = env.bool("LDAP_START_TLS", default=False)
    AUTH_LDAP_BIND_DN = env.str("LDAP_BIND_DN", default="")
    AUTH_LDAP_BIND_PASSWORD = env.str("LDAP_BIND_PASSWORD", default="")
    AUTH_LDAP_USER_SEARCH = LDAPSearch(
        env.str("LDAP_USER_BASE"), ldap.SCOPE_SUBTREE,
        env.str("LDAP_USER_FILTER", default="(sAMAccountName=%(user)s)" if _active_directory else "(uid=%(user)s)"),
    )
    AUTH_LDAP_GROUP_SEARCH = LDAPSearch(
        env.str("LDAP_GROUP_BASE"), ldap.SCOPE_SUBTREE,
        "(objectClass=group)" if _active_directory else "(objectClass=groupOfNames)",
    )
    AUTH_LDAP_GROUP_TYPE = NestedActiveDirectoryGroupType() if _active_directory else GroupOfNamesType()
    AUTH_LDAP_DENY_GROUP = env.str("LDAP_DENY_GROUP", default="") or None  # DN of the group of disabled users
    AUTH_LDAP_REQUIRE_GROUP = env.str("LDAP_REQUIRE_GROUP", default="") or None
    AUTH_LDAP_USER_ATTR_MAP = {"first_name": "givenName", "last_name": "sn", "email": "mail"}
    AUTH_LDAP_ALWAYS_UPDATE_USER = True
    AUTH_LDAP_CONNECTION_OPTIONS = {ldap.OPT_NETWORK_TIMEOUT: env.int("LDAP_TIMEOUT", default=5),
                                    ldap.OPT_REFERRALS: 0}
    # after the lockout check, before the local accounts
    AUTHENTICATION_BACKENDS.insert(1, "agreements.accounts.directory.DirectoryBackend")

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

LANGUAGE_CODE = "it"
LANGUAGES = [("it", "Italiano"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Dates as the office writes them, 27/04/2025, in both languages (config/formats/<lang>/formats.py).
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = "Europe/Rome"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": env.str("FILE_STORAGE", default="django.core.files.storage.FileSystemStorage")},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# E-mail: EMAIL_URL selects the backend. The default writes each message as an .eml file under var/mail/.
EMAIL_URL = env.str("EMAIL_URL", default=f"filemail://{VAR_DIR / 'mail'}")
_email = environ.Env.email_url_config(EMAIL_URL) if not EMAIL_URL.startswith("filemail://") else {}
if EMAIL_URL.startswith("filemail://"):
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = EMAIL_URL[len("filemail://"):]
else:
    vars().update(_email)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Intese <intese@regione.example.it>")
# The outbox relay takes due messages in batches of this many and sends a batch over one SMTP session.
OUTBOX_RELAY_BATCH_SIZE = env.int("OUTBOX_RELAY_BATCH_SIZE", default=100)
if OUTBOX_RELAY_BATCH_SIZE < 1:
    raise ImproperlyConfigured(f"OUTBOX_RELAY_BATCH_SIZE must be at least 1, not {OUTBOX_RELAY_BATCH_SIZE}")

# Login lockout (django-axes, agreements.accounts.security): LOGIN_FAILURE_LIMIT failures for one user name (any
# case) from one address lock that pair until LOGIN_LOCKOUT_MINUTES have passed since the last failure; a successful
# login clears the count. Counted in the database, so every web process sees the same attempts.
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_LOCKOUT_MINUTES = env.int("LOGIN_LOCKOUT_MINUTES", default=15)
# The header a trusted reverse proxy fills with the client's address (e.g. HTTP_X_REAL_IP); empty: REMOTE_ADDR.
LOGIN_IP_HEADER = env.str("LOGIN_IP_HEADER", default="")
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = datetime.timedelta(minutes=LOGIN_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Attempts refused while locked are not counted and do not push the end of the lock further away.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_USERNAME_CALLABLE = "agreements.accounts.security.lockout_username"
AXES_LOCKOUT_CALLABLE = "agreements.accounts.security.lockout_response"
AXES_DISABLE_ACCESS_LOG = True  # only failures are kept (AccessAttempt), not a row per successful login
# The client's address for django-ipware: the proxy's header first, if one is named, then REMOTE_ADDR. In a
# comma-separated header (X-Forwarded-For) the right-most address is the one our own proxy added.
AXES_IPWARE_META_PRECEDENCE_ORDER = (LOGIN_IP_HEADER, "REMOTE_ADDR") if LOGIN_IP_HEADER else ("REMOTE_ADDR",)
AXES_IPWARE_PROXY_ORDER = "right-most"

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}

# Celery. The default broker is kombu's filesystem transport under var/broker, so worker and beat run as
# real processes with no server. CELERY_BROKER_URL=redis://... (or amqp://...) switches to a real broker.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
CELERY_BROKER_DIR = VAR_DIR / "broker"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = False

INTESE = {
    "UPLOAD_MAX_BYTES": env.int("UPLOAD_MAX_BYTES", default=10 * 1024 * 1024),
    "LIBREOFFICE": env.str("LIBREOFFICE", default="soffice"),
    "PDF_TIMEOUT": env.int("PDF_TIMEOUT", default=120),
    # Folder of CA certificates (PEM or DER) that signed originals are validated against; empty: the chain is
    # reported as "not checked against a trusted list", never as valid.
    "TRUST_ROOTS_DIR": env.str("INTESE_TRUST_ROOTS_DIR", default=""),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
