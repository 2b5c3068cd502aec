"""Who a user is in the office: their DG (for DG referents), their deputies, their private tokens."""

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .plan import Sector


class Profile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    dg = models.ForeignKey(
        Sector, on_delete=models.PROTECT, null=True, blank=True, related_name="referents",
        verbose_name=_("DG di appartenenza"),
    )

    class Meta:
        verbose_name = _("profilo")
        verbose_name_plural = _("profili")

    def __str__(self):
        return str(self.user)


class Delegation(models.Model):
    """`deputy` acts on `user`'s tasks between the two dates (out of office)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="delegations_given")
    deputy = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="delegations_received"
    )
    starts_on = models.DateField(_("dal"))
    ends_on = models.DateField(_("al"))

    class Meta:
        ordering = ["-starts_on"]
        verbose_name = _("delega")
        verbose_name_plural = _("deleghe")
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_on__gte=models.F("starts_on")), name="delegation_dates"),
            models.CheckConstraint(condition=~models.Q(user=models.F("deputy")), name="delegation_not_self"),
        ]

    def __str__(self):
        return f"{self.deputy} per {self.user} ({self.starts_on} - {self.ends_on})"


def new_token() -> str:
    return secrets.token_urlsafe(32)


class UserToken(models.Model):
    """A private token: the ICS calendar feed URL, or an API key. Revoking it makes the old value useless."""

    class Purpose(models.TextChoices):
        CALENDAR = "calendar", _("Calendario ICS")
        API = "api", _("API")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tokens")
    purpose = models.CharField(max_length=10, choices=Purpose.choices)
    key = models.CharField(max_length=64, unique=True, default=new_token)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("token")
        verbose_name_plural = _("token")

    def __str__(self):
        return f"{self.user} {self.purpose}"
