"""The office's activity register and the territory's stakeholder registry (plan monitoring, issue 17)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .agreement import Agreement, Counterpart
from .plan import Action, Sector


class ActivityKind(models.TextChoices):
    """What the office does (the plan's indicators and the "attività dell'Ufficio" of Allegato 1)."""

    DELEGATION_RECEIVED = "delegation_received", _("Delegazione tecnica o istituzionale ricevuta")
    DIPLOMATIC_MEETING = "diplomatic_meeting", _("Incontro diplomatico")
    EVENT = "event", _("Evento organizzato")
    SYSTEM_MISSION = "system_mission", _("Missione di sistema supportata")
    TECHNICAL_NOTE = "technical_note", _("Nota tecnica o parere")
    COUNTRY_ANALYSIS = "country_analysis", _("Analisi Paese")
    DOSSIER = "dossier", _("Dossier o documento di approfondimento")
    FUNDING_CALL = "funding_call", _("Bando o opportunità di finanziamento seguita")
    COORDINATION = "coordination", _("Coordinamento e raccordo con i Settori")
    OTHER = "other", _("Altra attività")


class StakeholderType(models.TextChoices):
    UNIVERSITY = "university", _("Università o centro di ricerca")
    COMPANY = "company", _("Impresa")
    ASSOCIATION = "association", _("Associazione o fondazione")
    TRADE_BODY = "trade_body", _("Associazione di categoria o camera di commercio")
    LOCAL_AUTHORITY = "local_authority", _("Ente locale")
    REGIONAL_OFFICE = "regional_office", _("Settore o agenzia regionale")
    SCHOOL = "school", _("Scuola o ente di formazione")
    HEALTH = "health", _("Azienda sanitaria")
    OTHER = "other", _("Altro")


class Stakeholder(models.Model):
    """An organisation or person of the territory involved in the office's activities."""

    name = models.CharField(_("denominazione"), max_length=200, unique=True)
    type = models.CharField(_("tipologia"), max_length=20, choices=StakeholderType.choices)
    internal = models.BooleanField(_("interno all'amministrazione regionale"), default=False)
    first_involved_on = models.DateField(_("primo coinvolgimento"), null=True, blank=True)
    notes = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(_("creato il"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("stakeholder")
        verbose_name_plural = _("stakeholder")
        indexes = [models.Index(fields=["first_involved_on"])]

    def __str__(self):
        return self.name


class Activity(models.Model):
    """One thing the office did, recorded once."""

    kind = models.CharField(_("tipologia"), max_length=30, choices=ActivityKind.choices)
    title = models.CharField(_("titolo"), max_length=300)
    starts_on = models.DateField(_("data di inizio"))
    ends_on = models.DateField(_("data di fine"), null=True, blank=True)
    place = models.CharField(_("luogo"), max_length=200, blank=True)
    country_code = models.CharField(_("Paese (ISO 3166)"), max_length=2, blank=True)
    counterparts = models.ManyToManyField(Counterpart, blank=True, related_name="activities",
                                          verbose_name=_("controparti"))
    dgs = models.ManyToManyField(Sector, blank=True, related_name="activities",
                                 verbose_name=_("DG e settori coinvolti"))
    plan_actions = models.ManyToManyField(Action, blank=True, related_name="activities",
                                          verbose_name=_("azioni del piano"))
    agreements = models.ManyToManyField(Agreement, blank=True, related_name="activities",
                                        verbose_name=_("accordi"))
    stakeholders = models.ManyToManyField(Stakeholder, blank=True, related_name="activities",
                                          verbose_name=_("stakeholder coinvolti"))
    participants = models.PositiveIntegerField(_("partecipanti"), null=True, blank=True)
    participants_on_territory = models.PositiveIntegerField(_("partecipanti sul territorio"), null=True,
                                                            blank=True)
    follow_up_projects = models.TextField(_("progetti di follow-up"), blank=True)
    funding_applications = models.TextField(_("candidature a finanziamenti"), blank=True)
    notes = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(_("creata il"), auto_now_add=True)
    updated_at = models.DateTimeField(_("aggiornata il"), auto_now=True)

    class Meta:
        ordering = ["-starts_on", "-pk"]
        verbose_name = _("attività dell'Ufficio")
        verbose_name_plural = _("attività dell'Ufficio")
        indexes = [models.Index(fields=["kind", "starts_on"]), models.Index(fields=["country_code"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True) | models.Q(ends_on__gte=models.F("starts_on")),
                name="activity_dates_ordered",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def has_spillover(self) -> bool:
        return bool(self.follow_up_projects or self.funding_applications)
