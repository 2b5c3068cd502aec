"""The Region's operational plan for international activity (objectives, system actions, indicators)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Plan(models.Model):
    """One operational plan with its own period (a span of whole years) and adoption act. Several plans live side
    by side; objectives, actions and indicators belong to one plan, targets are set per year of its period."""

    code = models.SlugField(_("codice"), max_length=40, unique=True)
    title = models.CharField(_("titolo"), max_length=300)
    start_year = models.PositiveSmallIntegerField(_("primo anno"))
    end_year = models.PositiveSmallIntegerField(_("ultimo anno"))
    adopted_by = models.TextField(_("adottato con"), blank=True)
    adoption_act_number = models.CharField(_("numero della determina di adozione"), max_length=60, blank=True)
    adoption_act_date = models.DateField(_("data della determina di adozione"), null=True, blank=True)
    publication_reference = models.CharField(_("riferimento di pubblicazione"), max_length=300, blank=True)

    class Meta:
        ordering = ["start_year", "code"]
        constraints = [
            models.CheckConstraint(condition=models.Q(end_year__gte=models.F("start_year")),
                                   name="plan_period_ordered"),
        ]
        verbose_name = _("piano operativo")
        verbose_name_plural = _("piani operativi")

    def __str__(self):
        return self.title

    @property
    def years(self) -> list[int]:
        return list(range(self.start_year, self.end_year + 1))

    @property
    def period(self) -> str:
        return f"{self.start_year}-{self.end_year}" if self.end_year != self.start_year else str(self.start_year)


class Objective(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="objectives", verbose_name=_("piano"))
    number = models.PositiveSmallIntegerField(_("numero"))
    title = models.TextField(_("titolo"))

    class Meta:
        ordering = ["plan", "number"]
        constraints = [models.UniqueConstraint(fields=["plan", "number"], name="one_objective_number_per_plan")]
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

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="actions", verbose_name=_("piano"))
    number = models.PositiveSmallIntegerField(_("numero"))
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
        ordering = ["plan", "number"]
        constraints = [models.UniqueConstraint(fields=["plan", "number"], name="one_action_number_per_plan")]
        verbose_name = _("azione di sistema")
        verbose_name_plural = _("azioni di sistema")

    def __str__(self):
        # The plan's code first: every plan numbers its actions from 1 (select_related("plan") when listing).
        return f"{self.plan.code}/{self.number}. {self.short_title}"


class IndicatorMeasure(models.TextChoices):
    """How an indicator's actual is known: computed from the activity register, or typed in by hand."""

    ACTIVITIES = "activities", _("Numero di attività del registro della tipologia indicata")
    NEW_STAKEHOLDERS = "new_stakeholders", _("Nuovi stakeholder (primo coinvolgimento nell'anno)")
    PARTICIPANTS_ON_TERRITORY = "participants_on_territory", _("Partecipanti sul territorio alle attività")
    MANUAL = "manual", _("Rilevato a mano (il registro non lo conosce)")


class Indicator(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="indicators", verbose_name=_("piano"))
    number = models.PositiveSmallIntegerField(_("numero"))
    expected_result = models.TextField(_("risultato atteso"))
    name = models.CharField(_("indicatore"), max_length=300)
    objectives = models.ManyToManyField(Objective, verbose_name=_("obiettivi"), related_name="indicators")
    measure = models.CharField(_("regola di calcolo"), max_length=30, choices=IndicatorMeasure.choices,
                               default=IndicatorMeasure.MANUAL)
    activity_kind = models.CharField(
        _("tipologia di attività contata"), max_length=30, blank=True,
        help_text=_("Per le regole sul registro: la tipologia di attività (vuoto = tutte)."),
    )

    class Meta:
        ordering = ["plan", "number"]
        constraints = [models.UniqueConstraint(fields=["plan", "number"], name="one_indicator_number_per_plan")]
        verbose_name = _("indicatore")
        verbose_name_plural = _("indicatori")

    def __str__(self):
        return self.name


class IndicatorTarget(models.Model):
    """The target of an indicator for one year of its plan's period."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="targets")
    year = models.PositiveSmallIntegerField(_("anno"))
    value = models.PositiveIntegerField(_("target"))

    class Meta:
        ordering = ["indicator", "year"]
        constraints = [models.UniqueConstraint(fields=["indicator", "year"], name="one_target_per_year")]
        verbose_name = _("target")
        verbose_name_plural = _("target")

    def __str__(self):
        return f"{self.indicator} {self.year}: {self.value}"


class IndicatorActual(models.Model):
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="actuals")
    year = models.PositiveSmallIntegerField(_("anno"))
    value = models.PositiveIntegerField(_("valore rilevato"))
    reason = models.TextField(_("motivo della correzione"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True)
    recorded_at = models.DateTimeField(_("registrato il"), auto_now=True)

    class Meta:
        ordering = ["indicator", "year"]
        constraints = [models.UniqueConstraint(fields=["indicator", "year"], name="one_actual_per_year")]
        verbose_name = _("valore rilevato")
        verbose_name_plural = _("valori rilevati")

    def __str__(self):
        return f"{self.indicator} {self.year}: {self.value}"
