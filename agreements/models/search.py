"""The search index: one row per searchable text of an agreement (its record, each article in each language, each
DG opinion, each remark, each uploaded document) or of an activity of the register (its record, each attachment),
with a PostgreSQL tsvector kept up to date by agreements/search.

Derived data, rebuilt from the rows it indexes at any time (`manage.py search_reindex`): no audit event of its own.
"""

from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils.translation import gettext_lazy as _


class SearchEntry(models.Model):
    class Kind(models.TextChoices):
        AGREEMENT = "agreement", _("Accordo")
        ARTICLE = "article", _("Articolo")
        OPINION = "opinion", _("Parere DG")
        REMARK = "remark", _("Osservazione")
        NOTE = "note", _("Note")
        DOCUMENT = "document", _("Documento")
        ACTIVITY = "activity", _("Attività")

    # An entry is a text of one agreement or of one activity (never both): the search keeps an entry whose owner
    # the user may see, in one query.
    agreement = models.ForeignKey("agreements.Agreement", on_delete=models.CASCADE, related_name="+", null=True)
    activity = models.ForeignKey("agreements.Activity", on_delete=models.CASCADE, related_name="+", null=True)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    # The row indexed (article, opinion, audit event, document version); with `kind` and `language` it names the
    # entry, so an entry is replaced, never duplicated.
    source_id = models.PositiveBigIntegerField(default=0)
    language = models.CharField(max_length=8, default="it")
    # The PostgreSQL text search configuration: 'italian' for Italian text, 'simple' for every other language.
    config = models.CharField(max_length=16, default="italian")
    title = models.TextField(blank=True)
    body = models.TextField(blank=True)
    vector = SearchVectorField(null=True)
    indexed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "source_id", "language"], name="one_search_entry"),
            models.CheckConstraint(
                condition=models.Q(agreement__isnull=False, activity__isnull=True)
                | models.Q(agreement__isnull=True, activity__isnull=False),
                name="search_entry_one_owner",
            ),
        ]
        indexes = [models.Index(fields=["agreement", "kind"], name="search_entry_agreement"),
                   models.Index(fields=["activity", "kind"], name="search_entry_activity")]
        verbose_name = _("voce dell'indice di ricerca")
        verbose_name_plural = _("indice di ricerca")

    def __str__(self):
        return f"{self.kind} {self.source_id} ({self.language})"


class SearchWatermark(models.Model):
    """How far the refresh has read the audit trail: the agreements with newer events are re-indexed."""

    name = models.CharField(max_length=40, unique=True)
    audit_event_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"{self.name}: {self.audit_event_id}"
