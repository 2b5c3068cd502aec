"""Login lockout: after repeated failed logins for one user name from one address, refuse logins for a while.

django-axes does the counting (settings AXES_*, in config/settings/base.py): its authentication backend refuses a
locked user name before the password is even looked at, its database handler counts the failures (AccessAttempt
rows, so every gunicorn worker sees the same attempts) and clears them on a successful login. What stays here is
the office's side: the user name is compared case-insensitively, and a locked login gets the login form back with
the Italian message instead of axes' own page. The office's login page and the admin site's login page both use it.
Policy (settings, from the environment): LOGIN_FAILURE_LIMIT failures (default 5) lock that user name from that
address until LOGIN_LOCKOUT_MINUTES (default 15) have passed since the last failure.
"""

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpResponse
from django.utils.translation import gettext as _


def lockout_message() -> str:
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return _(
        "Troppi tentativi di accesso non riusciti per questo utente. L'accesso è bloccato: riprova tra %(minutes)d "
        "minuti o rivolgiti all'amministratore."
    ) % {"minutes": minutes}


def lockout_username(request, credentials) -> str | None:
    """AXES_USERNAME_CALLABLE: the user name the failures are counted for, whatever its case or spaces."""
    username = (credentials or {}).get("username")
    if username is None and request is not None:
        username = request.POST.get("username")
    return (username or "").strip().lower()[:150] or None


def lockout_response(request, original_response=None, credentials=None) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: a locked login keeps the page the login view rendered (LockoutMixin put the Italian
    message in its form); anything else gets the message as plain text with 429."""
    if original_response is not None:
        return original_response
    return HttpResponse(lockout_message(), status=429, content_type="text/plain; charset=utf-8")


class LockoutMixin:
    """For an AuthenticationForm: when axes refused the login or the failure just locked it, say so in Italian."""

    def clean(self):
        try:
            return super().clean()
        except forms.ValidationError:
            if getattr(self.request, "axes_locked_out", False):
                raise forms.ValidationError(lockout_message(), code="locked") from None
            raise


class LockoutAuthenticationForm(LockoutMixin, AuthenticationForm):
    pass


class LockoutAdminAuthenticationForm(LockoutMixin, AdminAuthenticationForm):
    pass


class LoginView(auth_views.LoginView):
    form_class = LockoutAuthenticationForm
    redirect_authenticated_user = True
