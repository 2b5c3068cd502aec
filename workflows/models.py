from django.db import models
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.models import Process


class AgreementProcess(Process):
    """One run of the lifecycle for one agreement."""

    agreement = models.ForeignKey(
        "agreements.Agreement", on_delete=models.PROTECT, related_name="processes", null=True, blank=True
    )

    class Meta:
        verbose_name = _("procedura")
        verbose_name_plural = _("procedure")
