"""The append-only audit trail. The application never updates or deletes a row; on PostgreSQL a trigger
(migration 0002) makes the database refuse it too."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    agreement = models.ForeignKey(
        "agreements.Agreement", on_delete=models.DO_NOTHING, null=True, blank=True, related_name="audit_events",
        db_constraint=False,
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, null=True, blank=True, related_name="+",
        db_constraint=False, verbose_name=_("utente"),
    )
    on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, null=True, blank=True, related_name="+",
        db_constraint=False, verbose_name=_("per conto di"),
    )
    actor_name = models.CharField(_("nome utente"), max_length=150, blank=True)
    action = models.CharField(_("azione"), max_length=60, db_index=True)
    at = models.DateTimeField(_("quando"), auto_now_add=True, db_index=True)
    changes = models.JSONField(_("modifiche"), default=dict, blank=True)
    detail = models.JSONField(_("dettagli"), default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("evento di audit")
        verbose_name_plural = _("eventi di audit")

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action}"
