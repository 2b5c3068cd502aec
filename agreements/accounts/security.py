"""Login lockout: after repeated failed logins for one user name from one address, refuse logins for a while.

Failures are rows in the database (LoginFailure), so every gunicorn worker counts the same attempts. The check runs
in the login form, before the password is even looked at; the office's login page and the admin site's login page
both use it. Policy (settings, from the environment in production):
LOGIN_FAILURE_LIMIT failures (default 5) within LOGIN_LOCKOUT_MINUTES (default 15) lock that user name from that
address until LOGIN_LOCKOUT_MINUTES have passed since the last failure. A successful login clears the count.
"""

import datetime

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.utils import timezone
from django.utils.translation import gettext as _

from agreements.models import LoginFailure


def failure_limit() -> int:
    return getattr(settings, "LOGIN_FAILURE_LIMIT", 5)


def lockout_window() -> datetime.timedelta:
    return datetime.timedelta(minutes=getattr(settings, "LOGIN_LOCKOUT_MINUTES", 15))


def client_ip(request) -> str:
    """The client's address: REMOTE_ADDR, or the header a trusted reverse proxy sets (LOGIN_IP_HEADER)."""
    if request is None:
        return ""
    header = getattr(settings, "LOGIN_IP_HEADER", "")
    value = request.META.get(header, "") if header else ""
    # X-Forwarded-For may list several hops: the last one is the address our own proxy saw.
    value = value.split(",")[-1].strip() or request.META.get("REMOTE_ADDR", "")
    return value[:64]


def _key(username: str) -> str:
    return (username or "").strip().lower()[:150]


def _recent(username: str, ip: str):
    return LoginFailure.objects.filter(username=_key(username), ip=ip, at__gte=timezone.now() - lockout_window())


def login_locked(*, username: str, ip: str) -> bool:
    return _recent(username, ip).count() >= failure_limit()


def login_failure_record(*, username: str, ip: str) -> None:
    """Count one failure; rows older than the window are of no use any more and go."""
    now = timezone.now()
    LoginFailure.objects.filter(username=_key(username), ip=ip, at__lt=now - lockout_window()).delete()
    LoginFailure.objects.create(username=_key(username), ip=ip, at=now)


def login_failures_clear(*, username: str, ip: str) -> None:
    LoginFailure.objects.filter(username=_key(username), ip=ip).delete()


def lockout_message() -> str:
    minutes = int(lockout_window().total_seconds() // 60)
    return _(
        "Troppi tentativi di accesso non riusciti per questo utente. L'accesso è bloccato: riprova tra %(minutes)d "
        "minuti o rivolgiti all'amministratore."
    ) % {"minutes": minutes}


class LockoutMixin:
    """For an AuthenticationForm: refuse a locked user name, count a wrong password, clear the count on success."""

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        ip = client_ip(self.request)
        if username and login_locked(username=username, ip=ip):
            raise forms.ValidationError(lockout_message(), code="locked")
        try:
            cleaned = super().clean()
        except forms.ValidationError as error:
            if username and any(e.code == "invalid_login" for e in error.error_list):
                login_failure_record(username=username, ip=ip)
                if login_locked(username=username, ip=ip):
                    raise forms.ValidationError(lockout_message(), code="locked") from None
            raise
        if username:
            login_failures_clear(username=username, ip=ip)
        return cleaned


class LockoutAuthenticationForm(LockoutMixin, AuthenticationForm):
    pass


class LockoutAdminAuthenticationForm(LockoutMixin, AdminAuthenticationForm):
    pass


class LoginView(auth_views.LoginView):
    form_class = LockoutAuthenticationForm
    redirect_authenticated_user = True
