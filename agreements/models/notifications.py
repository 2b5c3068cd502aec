"""What the site tells a person: one row per message and recipient, shown in the in-site list and e-mailed
through the outbox (at once, or in the daily digest for information messages when the person chose it)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class NotificationKind(models.TextChoices):
    TASK = "task", _("Attività da svolgere")
    DEADLINE = "deadline", _("Scadenza modificata")
    OPINION = "opinion", _("Parere DG espresso")
    PHASE = "phase", _("Cambio di fase")
    UNREACHABLE = "unreachable", _("Attività che nessuno può svolgere")


# Tasks and deadlines reach the person at once whatever they chose: they cannot wait for tomorrow's digest.
ALWAYS_IMMEDIATE = (NotificationKind.TASK, NotificationKind.DEADLINE, NotificationKind.UNREACHABLE)


class Notification(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    agreement = models.ForeignKey(
        "agreements.Agreement", on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    kind = models.CharField(_("tipo"), max_length=20, choices=NotificationKind.choices)
    key = models.CharField(max_length=200, unique=True)  # one message per event and recipient
    subject = models.CharField(_("oggetto"), max_length=300)
    body = models.TextField(_("testo"))
    url = models.CharField(_("collegamento"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("creato il"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("letto il"), null=True, blank=True)
    # Information messages of a person who chose the digest wait here until the day's digest takes them.
    digest_pending = models.BooleanField(default=False)
    digest_on = models.DateField(null=True, blank=True)
    outbox = models.ForeignKey(
        "agreements.OutboxMessage", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notifica")
        verbose_name_plural = _("notifiche")
        indexes = [
            models.Index(fields=["user", "read_at"], name="notification_unread"),
            models.Index(fields=["digest_pending", "created_at"], name="notification_digest",
                         condition=models.Q(digest_pending=True)),
        ]

    def __str__(self):
        return f"{self.user} {self.subject}"
