"""Reminders and the e-mail outbox (README, "Reminders, e-mail and calendar")."""

from django.db import models
from django.utils.translation import gettext_lazy as _


def default_expiry_thresholds():
    return [180, 90, 60, 30, 7, 0]


def default_notice_thresholds():
    return [60, 30, 7, 0]


class ReminderPolicy(models.Model):
    """The thresholds an administrator can edit. One row (pk=1)."""

    expiry_thresholds = models.JSONField(_("soglie di scadenza (giorni prima)"), default=default_expiry_thresholds)
    expiry_repeat_days = models.PositiveSmallIntegerField(_("ripetizione promemoria di scadenza (giorni)"), default=7)
    consultation_days_before = models.PositiveSmallIntegerField(_("preavviso scadenza parere DG (giorni)"), default=3)
    observations_days_before = models.PositiveSmallIntegerField(_("preavviso fine attesa 30 giorni"), default=3)
    ratification_pending_days = models.PositiveSmallIntegerField(_("ratifica in sospeso dopo (giorni)"), default=60)
    idle_task_days = models.PositiveSmallIntegerField(_("attività ferma da (giorni)"), default=10)
    notice_thresholds = models.JSONField(
        _("soglie per il termine di disdetta (giorni prima)"), default=default_notice_thresholds
    )
    catch_up_days = models.PositiveSmallIntegerField(
        _("recupero dopo un'interruzione (giorni)"), default=7,
        help_text=_("Un promemoria dovuto in questi ultimi giorni e non ancora creato viene creato alla scansione."),
    )

    class Meta:
        verbose_name = _("regole dei promemoria")
        verbose_name_plural = _("regole dei promemoria")

    def __str__(self):
        return str(_("Regole dei promemoria"))

    @classmethod
    def current(cls) -> "ReminderPolicy":
        return cls.objects.get_or_create(pk=1)[0]


class ReminderKind(models.TextChoices):
    EXPIRY = "expiry", _("Scadenza dell'accordo")
    NON_RENEWAL_NOTICE = "non_renewal_notice", _("Termine per la disdetta")
    CONSULTATION_DEADLINE = "consultation_deadline", _("Scadenza parere DG")
    OBSERVATIONS_END = "observations_end", _("Fine attesa osservazioni")
    RATIFICATION_PENDING = "ratification_pending", _("Ratifica in sospeso")
    IDLE_TASK = "idle_task", _("Attività ferma")


class Reminder(models.Model):
    agreement = models.ForeignKey("agreements.Agreement", on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(_("tipo"), max_length=30, choices=ReminderKind.choices)
    threshold = models.IntegerField(_("soglia (giorni)"))
    due_date = models.DateField(_("dovuto il"))
    deadline = models.DateField(_("scadenza di riferimento"))
    recipients = models.JSONField(_("destinatari"), default=list)
    # The scan that inserted the row: of concurrent scans, only the one whose tag the row carries sends its e-mails.
    scan = models.UUIDField(null=True, blank=True, editable=False, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-due_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "kind", "threshold", "due_date"], name="one_reminder_per_threshold"
            )
        ]
        verbose_name = _("promemoria")
        verbose_name_plural = _("promemoria")

    def __str__(self):
        return f"{self.agreement_id} {self.kind} {self.threshold} {self.due_date}"


class OutboxMessage(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued", _("In coda")
        SENDING = "sending", _("In invio")
        SENT = "sent", _("Inviato")
        RETRYING = "retrying", _("Nuovo tentativo")
        FAILED = "failed", _("Non recapitato")

    reminder = models.ForeignKey(Reminder, on_delete=models.CASCADE, null=True, blank=True, related_name="messages")
    agreement = models.ForeignKey(
        "agreements.Agreement", on_delete=models.CASCADE, null=True, blank=True, related_name="messages"
    )
    message_id = models.CharField(max_length=200, unique=True)
    to = models.JSONField(_("destinatari"))
    subject = models.CharField(_("oggetto"), max_length=300)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    state = models.CharField(_("stato"), max_length=10, choices=State.choices, default=State.QUEUED, db_index=True)
    attempts = models.PositiveSmallIntegerField(_("tentativi"), default=0)
    next_attempt_at = models.DateTimeField(_("prossimo tentativo"), db_index=True)
    last_error = models.TextField(_("ultimo errore"), blank=True)
    sent_at = models.DateTimeField(_("inviato il"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # The relay's claim query: only rows still to send, in due order (sent rows never slow it down).
            models.Index(
                fields=["next_attempt_at"], name="outbox_due",
                condition=models.Q(state__in=["queued", "retrying", "sending"]),
            )
        ]
        verbose_name = _("messaggio in uscita")
        verbose_name_plural = _("messaggi in uscita")

    def __str__(self):
        return f"{self.subject} -> {', '.join(self.to)}"


class Heartbeat(models.Model):
    """Last successful run of a periodic job, so a stopped beat or worker is noticed."""

    name = models.CharField(max_length=40, unique=True)
    last_success_at = models.DateTimeField()
    detail = models.JSONField(default=dict, blank=True)

    def __str__(self):
        return f"{self.name} {self.last_success_at}"
