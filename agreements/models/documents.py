"""Documents: every generated or uploaded file is a new version; nothing is overwritten."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DocumentType(models.TextChoices):
    INTESA_BILINGUAL = "intesa_bilingue", _("Testo bilingue dell'Intesa")
    MEMORANDUM = "memorandum", _("Memorandum of Understanding")
    NOTICE_GOVERNMENT = "notifica_governo", _("Notifica preventiva al Governo")
    INFORMATIVA_ASSEMBLY = "informativa_assemblea", _("Informativa all'Assemblea legislativa")
    COVER_LETTER = "lettera_controparte", _("Lettera di accompagnamento alla controparte")
    RENEWAL_PROPOSAL = "proposta_rinnovo", _("Proposta di rinnovo")
    DRAFT_UPLOAD = "testo_revisionato", _("Testo revisionato (caricato)")
    SIGNED_COPY = "copia_firmata", _("Copia firmata")
    ACTIVITY_AGENDA = "agenda_attivita", _("Agenda dell'attività")
    ACTIVITY_MINUTES = "verbale_attivita", _("Verbale dell'attività")
    ACTIVITY_NOTE = "nota_attivita", _("Nota sull'attività")


# The attachments of an activity of the register (agenda, minutes, note); every other type is an agreement's.
ACTIVITY_DOCUMENT_TYPES = (DocumentType.ACTIVITY_AGENDA, DocumentType.ACTIVITY_MINUTES, DocumentType.ACTIVITY_NOTE)
AGREEMENT_DOCUMENT_TYPES = tuple(t for t in DocumentType if t not in ACTIVITY_DOCUMENT_TYPES)


def version_upload_to(instance, filename):
    if instance.activity_id:
        return f"activities/{instance.activity_id}/{instance.doc_type}/v{instance.number}-{filename}"
    return f"agreements/{instance.agreement.reference}/{instance.doc_type}/v{instance.number}-{filename}"


class DocumentVersion(models.Model):
    class Source(models.TextChoices):
        GENERATED = "generated", _("Generato da modello")
        UPLOADED = "uploaded", _("Caricato")
        PDF = "pdf", _("Conversione PDF")

    # A version belongs to one agreement or to one activity of the register (its attachments), never both.
    agreement = models.ForeignKey("agreements.Agreement", on_delete=models.PROTECT, related_name="documents",
                                  null=True, blank=True)
    activity = models.ForeignKey("agreements.Activity", on_delete=models.PROTECT, related_name="attachments",
                                 null=True, blank=True)
    doc_type = models.CharField(_("tipo di documento"), max_length=40, choices=DocumentType.choices)
    number = models.PositiveIntegerField(_("versione"))
    source = models.CharField(_("origine"), max_length=10, choices=Source.choices)
    file = models.FileField(_("file"), upload_to=version_upload_to, max_length=300)
    filename = models.CharField(_("nome file"), max_length=200)
    content_type = models.CharField(max_length=120)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField(_("dimensione (byte)"))
    step = models.CharField(_("fase"), max_length=20)
    derived_from = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="derivatives"
    )
    template_revision = models.ForeignKey(
        "agreements.DocumentTemplate", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("creato il"), auto_now_add=True)
    # A signed original (PAdES PDF, CAdES .p7m): the verification made at upload (documents/signatures.py).
    signature = models.JSONField(_("verifica della firma"), default=dict, blank=True, db_default={})

    class Meta:
        ordering = ["agreement", "doc_type", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "doc_type", "number"], name="one_version_number"),
            models.UniqueConstraint(fields=["activity", "doc_type", "number"], name="one_activity_version_number"),
            models.CheckConstraint(
                condition=models.Q(agreement__isnull=False, activity__isnull=True)
                | models.Q(agreement__isnull=True, activity__isnull=False),
                name="document_version_one_owner",
            ),
            # A version is converted to PDF once, even when two workers run the same conversion.
            models.UniqueConstraint(
                fields=["derived_from"], condition=models.Q(source="pdf"), name="one_pdf_per_version"
            ),
        ]
        verbose_name = _("versione di documento")
        verbose_name_plural = _("versioni di documenti")

    def __str__(self):
        owner = self.agreement.reference if self.agreement_id else f"A{self.activity_id}"
        return f"{owner} {self.get_doc_type_display()} v{self.number}"


class DocumentTemplate(models.Model):
    """A revision of a .docx template uploaded by an administrator; the newest active one wins over the file
    shipped in templates_docx/."""

    name = models.CharField(_("modello"), max_length=40)
    revision = models.PositiveIntegerField(_("revisione"))
    file = models.FileField(_("file"), upload_to="templates/", max_length=300)
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "-revision"]
        constraints = [models.UniqueConstraint(fields=["name", "revision"], name="one_template_revision")]
        verbose_name = _("modello di documento")
        verbose_name_plural = _("modelli di documento")

    def __str__(self):
        return f"{self.name} r{self.revision}"
