"""Production settings: `check --deploy` is silent with the documented variables, unsafe setups refuse to start,
cookies are secure, passwords are validated."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

ROOT = Path(__file__).resolve().parents[2]


def production_env(**overrides) -> dict:
    """The variables the README documents for production, pointed at the test's own PostgreSQL and Redis."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("DEBUG", "SECURE_SSL_REDIRECT") and not k.startswith(("DJANGO_", "PYTEST_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY=secrets.token_urlsafe(50),
        DATABASE_URL=os.environ["DATABASE_URL"],
        CELERY_BROKER_URL=os.environ["CELERY_BROKER_URL"],
        ALLOWED_HOSTS="intese.regione.example.it",
        CSRF_TRUSTED_ORIGINS="https://intese.regione.example.it",
        SITE_URL="https://intese.regione.example.it",
        EMAIL_URL="smtp+tls://intese:secret@smtp.regione.example.it:587",
    )
    env.update(overrides)
    return env


def manage(*args, **overrides) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=production_env(**overrides),
        capture_output=True, text=True, timeout=120,
    )


def production_settings(*names, **overrides) -> dict:
    code = (
        "import json, django; from django.conf import settings; django.setup(); "
        f"print(json.dumps({{n: getattr(settings, n) for n in {list(names)!r}}}, default=str))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=production_env(**overrides),
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_check_deploy_prints_no_warning():
    result = manage("check", "--deploy")
    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in output
    assert "WARNING" not in output and "security.W" not in output


def test_check_deploy_would_catch_a_weakened_setup():
    # the test above can fail: turning the redirect off makes check --deploy speak up
    result = manage("check", "--deploy", SECURE_SSL_REDIRECT="False")
    assert "security.W008" in result.stdout + result.stderr


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"DEBUG": "True"}, "DEBUG must be off"),
        ({"SECRET_KEY": "embedded-mode-only-not-a-secret"}, "SECRET_KEY"),
        ({"SECRET_KEY": "short-key"}, "SECRET_KEY"),
        ({"SECRET_KEY": "a" * 60}, "SECRET_KEY"),
        ({"SECRET_KEY": "django-insecure-" + secrets.token_urlsafe(50)}, "SECRET_KEY"),
        ({"DATABASE_URL": "sqlite:////tmp/intese.sqlite3"}, "PostgreSQL"),
        ({"CELERY_BROKER_URL": "filesystem://"}, "broker"),
    ],
)
def test_production_refuses_an_unsafe_setup(overrides, message):
    result = manage("check", **overrides)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and message in result.stderr


def test_production_cookies_https_and_lockout():
    values = production_settings(
        "DEBUG", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS", "SECURE_PROXY_SSL_HEADER", "X_FRAME_OPTIONS", "LOGIN_FAILURE_LIMIT",
        "LOGIN_LOCKOUT_MINUTES", "MIDDLEWARE", "STORAGES",
    )
    assert values["DEBUG"] is False
    assert values["SESSION_COOKIE_SECURE"] is values["CSRF_COOKIE_SECURE"] is values["SESSION_COOKIE_HTTPONLY"] is True
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 31536000
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["X_FRAME_OPTIONS"] == "DENY"
    assert (values["LOGIN_FAILURE_LIMIT"], values["LOGIN_LOCKOUT_MINUTES"]) == (5, 15)
    assert "django.middleware.csrf.CsrfViewMiddleware" in values["MIDDLEWARE"]
    assert "whitenoise.middleware.WhiteNoiseMiddleware" in values["MIDDLEWARE"]
    assert "whitenoise" in values["STORAGES"]["staticfiles"]["BACKEND"]


def test_production_settings_follow_the_environment():
    values = production_settings(
        "SECURE_SSL_REDIRECT", "SECURE_PROXY_SSL_HEADER", "LOGIN_FAILURE_LIMIT", "LOGIN_LOCKOUT_MINUTES",
        SECURE_SSL_REDIRECT="False", SECURE_PROXY_SSL_HEADER="", LOGIN_FAILURE_LIMIT="3", LOGIN_LOCKOUT_MINUTES="30",
    )
    assert values == {"SECURE_SSL_REDIRECT": False, "SECURE_PROXY_SSL_HEADER": None,
                      "LOGIN_FAILURE_LIMIT": 3, "LOGIN_LOCKOUT_MINUTES": 30}


@pytest.mark.parametrize(
    "password",
    ["corto1", "password123", "1234567890123", "mario.rossi.2024", "qwertyuiop"],
)
def test_weak_passwords_are_refused(db, password):
    from tests.support.factories import UserFactory

    user = UserFactory.build(username="mario.rossi.2024", email="mario.rossi@example.org")
    with pytest.raises(ValidationError):
        validate_password(password, user)


def test_a_strong_password_is_accepted(db):
    validate_password("Tramonto-sul-Reno-1987")
