"""Failed logins, counted per user name and client address to lock out password guessing (agreements.security)."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class LoginFailure(models.Model):
    """One failed login. Kept in the database, so every web process and worker sees the same count."""

    username = models.CharField(_("nome utente"), max_length=150)
    ip = models.CharField(_("indirizzo"), max_length=64)
    at = models.DateTimeField(_("quando"), default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["username", "ip", "at"], name="loginfailure_key_at")]
        verbose_name = _("accesso non riuscito")
        verbose_name_plural = _("accessi non riusciti")

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.ip}"
