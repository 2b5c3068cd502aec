"""Who a user is in the office: their DG (for DG referents), their deputies, their private tokens."""

import hashlib
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
    language = models.CharField(
        _("lingua dei messaggi"), max_length=8, choices=settings.LANGUAGES, default="it",
        help_text=_("La lingua delle e-mail che ricevi."),
    )
    daily_digest = models.BooleanField(
        _("riepilogo giornaliero"), default=False,
        help_text=_("Ricevi i messaggi informativi (pareri, cambi di fase) in un'unica e-mail al giorno. Le "
                    "attività da svolgere e le scadenze arrivano comunque subito."),
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


def token_hash(key: str) -> str:
    """What the database keeps of a key: its SHA-256, in hex. A fast hash is enough here, unlike for passwords:
    every key is 256 random bits (new_token), so there is nothing to guess and nothing to slow down."""
    return hashlib.sha256(key.encode()).hexdigest()


class UserToken(models.Model):
    """A private token: the ICS calendar feed URL, or an API key. Revoking it makes the old value useless.

    Only the key's hash is stored: the clear key exists once, on the instance `issue` returns, to be shown to its
    owner then. `prefix`, its first characters, is no secret and only tells keys apart."""

    PREFIX_LENGTH = 8

    class Purpose(models.TextChoices):
        CALENDAR = "calendar", _("Calendario ICS")
        API = "api", _("API")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tokens")
    purpose = models.CharField(max_length=10, choices=Purpose.choices)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(_("inizio della chiave"), max_length=PREFIX_LENGTH, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    key = None  # the clear key: set on the instance `issue` returns, never stored

    class Meta:
        verbose_name = _("token")
        verbose_name_plural = _("token")

    def __str__(self):
        return f"{self.user} {self.purpose}"

    @classmethod
    def issue(cls, *, user, purpose) -> "UserToken":
        """A new token; its `key` holds the clear key, for this once."""
        key = new_token()
        token = cls.objects.create(user=user, purpose=purpose, key_hash=token_hash(key),
                                   prefix=key[: cls.PREFIX_LENGTH])
        token.key = key
        return token

    @classmethod
    def active(cls, key: str, purpose: str) -> "UserToken | None":
        """The active token of an active user whose clear key is `key`, or None."""
        if not key:
            return None
        return (
            cls.objects.select_related("user")
            .filter(key_hash=token_hash(key), purpose=purpose, revoked_at__isnull=True, user__is_active=True)
            .first()
        )
