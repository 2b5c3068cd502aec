"""The Region's operational plan for international activity (objectives, system actions, indicators)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Objective(models.Model):
    number = models.PositiveSmallIntegerField(_("numero"), unique=True)
    title = models.TextField(_("titolo"))

    class Meta:
        ordering = ["number"]
        verbose_name = _("obiettivo")
        verbose_name_plural = _("obiettivi")

    def __str__(self):
        return f"{self.number}. {self.title}"


class Sector(models.Model):
    """A Directorate-General or another sector of the Region (or the Assembly) named by the plan."""

    code = models.SlugField(_("codice"), max_length=40, unique=True)
    name = models.CharField(_("nome"), max_length=200)
    is_dg = models.BooleanField(_("Direzione Generale consultabile"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("settore / DG")
        verbose_name_plural = _("settori / DG")

    def __str__(self):
        return self.name


class Action(models.Model):
    """A system action of Allegato 1 (Matrice delle azioni)."""

    number = models.PositiveSmallIntegerField(_("numero"), unique=True)
    objective = models.TextField(_("obiettivo"))
    title = models.TextField(_("azione"))
    short_title = models.CharField(_("titolo breve"), max_length=200)
    timing = models.CharField(_("tempistica di realizzazione"), max_length=100)
    sectors = models.ManyToManyField(Sector, verbose_name=_("settori RER coinvolti"), related_name="actions")
    stakeholders = models.TextField(_("stakeholder territoriali coinvolgibili"), blank=True)
    output = models.TextField(_("output/deliverable previsto"), blank=True)
    office_activities = models.TextField(_("attività dell'Ufficio RelInt"), blank=True)
    spillover = models.TextField(_("spillover ipotizzato"), blank=True)

    class Meta:
        ordering = ["number"]
        verbose_name = _("azione di sistema")
        verbose_name_plural = _("azioni di sistema")

    def __str__(self):
        return f"{self.number}. {self.short_title}"


class Indicator(models.Model):
    number = models.PositiveSmallIntegerField(_("numero"), unique=True)
    expected_result = models.TextField(_("risultato atteso"))
    name = models.CharField(_("indicatore"), max_length=300)
    objectives = models.ManyToManyField(Objective, verbose_name=_("obiettivi"), related_name="indicators")
    target_2022 = models.PositiveIntegerField(_("target 2022"))
    target_2023 = models.PositiveIntegerField(_("target 2023"))

    class Meta:
        ordering = ["number"]
        verbose_name = _("indicatore")
        verbose_name_plural = _("indicatori")

    def __str__(self):
        return self.name


class IndicatorActual(models.Model):
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="actuals")
    year = models.PositiveSmallIntegerField(_("anno"))
    value = models.PositiveIntegerField(_("valore rilevato"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True)
    recorded_at = models.DateTimeField(_("registrato il"), auto_now=True)

    class Meta:
        ordering = ["indicator", "year"]
        constraints = [models.UniqueConstraint(fields=["indicator", "year"], name="one_actual_per_year")]
        verbose_name = _("valore rilevato")
        verbose_name_plural = _("valori rilevati")

    def __str__(self):
        return f"{self.indicator} {self.year}: {self.value}"
