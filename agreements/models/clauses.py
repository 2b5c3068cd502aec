"""The clause library's revisions: an administrator's new text of a clause, or a new list of clauses for a kind,
win over the library shipped in agreements/clauses/library.py. Nothing is overwritten: each edit is a new row."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .agreement import AgreementKind


class ClauseVersion(models.Model):
    """A version of a standard clause: heading and text per language ({"it": {"heading", "text"}, ...})."""

    code = models.SlugField(_("clausola"), max_length=40)
    number = models.PositiveIntegerField(_("versione"))
    texts = models.JSONField(_("testi per lingua"), default=dict)
    note = models.CharField(_("nota"), max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("creata il"), auto_now_add=True)

    class Meta:
        ordering = ["code", "-number"]
        constraints = [models.UniqueConstraint(fields=["code", "number"], name="one_clause_version_number")]
        verbose_name = _("versione di clausola")
        verbose_name_plural = _("versioni di clausole")

    def __str__(self):
        return f"{self.code} v{self.number}"


class KindTemplate(models.Model):
    """A revision of the text template of a kind: the clause codes of its first draft, in order."""

    kind = models.CharField(_("tipo"), max_length=20, choices=AgreementKind.choices)
    revision = models.PositiveIntegerField(_("revisione"))
    clauses = models.JSONField(_("clausole"), default=list)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("creato il"), auto_now_add=True)

    class Meta:
        ordering = ["kind", "-revision"]
        constraints = [models.UniqueConstraint(fields=["kind", "revision"], name="one_kind_template_revision")]
        verbose_name = _("modello di testo per tipo")
        verbose_name_plural = _("modelli di testo per tipo")

    def __str__(self):
        return f"{self.kind} r{self.revision}"
