"""The register's search, filters and sorting (django-filter). The base queryset comes from
selectors.register_agreements, so visibility is applied before any filter."""

import django_filters as df
from django import forms
from django.core.validators import RegexValidator
from django.db.models import Exists, OuterRef, Q
from django.forms.renderers import Jinja2
from django.utils.translation import gettext_lazy as _

from agreements.common.plan_actions import PlanActionChoiceField
from agreements.models import Action, Agreement, AgreementKind, Sector, Status
from agreements.records.selectors import register_countries, search_agreements


def _country_choices():
    return [(country, country) for country in register_countries()]


class StableOrderingFilter(df.OrderingFilter):
    """Sorting by a column with equal values (state, country) must not shuffle rows between pages."""

    def filter(self, qs, value):
        qs = super().filter(qs, value)
        return qs.order_by(*qs.query.order_by, "-id") if value else qs


class PlanActionFilter(df.ModelChoiceFilter):
    field_class = PlanActionChoiceField


class RegisterFilterForm(forms.Form):
    # Rendered with Django's own Jinja2 form templates: the same markup, without a template include per <option>
    # and per attribute (the Django-template renderer spent about half of the register page on these fields).
    default_renderer = Jinja2()  # one instance: its engine and compiled templates are kept

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Django's select template includes a template per <option> (and one per option's attributes): about 90
        # template contexts for the register's choices. The same markup with the options written inline.
        for field in self.fields.values():
            if type(field.widget) is forms.Select:
                field.widget.template_name = "agreements/forms/select.html"


class RegisterFilter(df.FilterSet):
    q = df.CharFilter(
        label=_("Cerca"), method="filter_search", help_text=_("Codice, titolo, controparte o Paese")
    )
    kind = df.ChoiceFilter(label=_("Tipo"), choices=AgreementKind.choices, empty_label=_("Tutti i tipi"))
    status = df.ChoiceFilter(label=_("Stato"), choices=Status.choices, empty_label=_("Tutti gli stati"))
    country = df.ChoiceFilter(
        label=_("Paese"), field_name="counterpart__country", choices=_country_choices, empty_label=_("Tutti i Paesi")
    )
    dg = df.ModelChoiceFilter(
        label=_("DG coinvolta"), queryset=Sector.objects.filter(is_dg=True).only("id", "name"),
        method="filter_dg", empty_label=_("Tutte le DG"),
    )
    plan_action = PlanActionFilter(
        label=_("Azione del piano"), queryset=Action.objects.all(),
        method="filter_plan_action", empty_label=_("Tutte le azioni"),
    )
    # Set by the links of the territory pages (a country by its ISO code, a counterpart by id), kept as hidden
    # fields when the form is submitted again.
    country_code = df.CharFilter(field_name="counterpart__country_code", lookup_expr="iexact", widget=forms.HiddenInput,
                                 max_length=2, validators=[RegexValidator(r"^[A-Za-z]{2}$")])
    counterpart = df.NumberFilter(method="filter_counterpart", widget=forms.HiddenInput, min_value=1,
                                  max_value=2**31 - 1)
    expiring_before = df.DateFilter(
        label=_("In scadenza entro il"), field_name="end_date", lookup_expr="lte",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    ordering = StableOrderingFilter(
        label=_("Ordina per"),
        fields=(
            ("reference", "reference"),
            ("title", "title"),
            ("kind", "kind"),
            ("counterpart__name", "counterpart"),
            ("counterpart__country", "country"),
            ("status", "status"),
            ("signed_on", "signed_on"),
            ("end_date", "end_date"),
        ),
        field_labels={
            "reference": _("Codice"),
            "title": _("Titolo"),
            "kind": _("Tipo"),
            "counterpart__name": _("Controparte"),
            "counterpart__country": _("Paese"),
            "status": _("Stato"),
            "signed_on": _("Firma"),
            "end_date": _("Scadenza"),
        },
    )

    class Meta:
        model = Agreement
        fields = []
        form = RegisterFilterForm

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Read the countries once per page: a callable would run again for validation and for rendering.
        self.filters["country"].extra["choices"] = _country_choices()

    def filter_search(self, qs, name, value):
        return search_agreements(qs, value)

    # Exists() rather than a join on the many-to-many tables: no duplicate rows, no DISTINCT over the page.
    def filter_dg(self, qs, name, value):
        through = Agreement.dgs.through
        return qs.filter(Exists(through.objects.filter(agreement_id=OuterRef("pk"), sector_id=value.pk)))

    def filter_counterpart(self, qs, name, value):
        through = Agreement.other_counterparts.through
        return qs.filter(Q(counterpart_id=value)
                         | Exists(through.objects.filter(agreement_id=OuterRef("pk"), counterpart_id=value)))

    def filter_plan_action(self, qs, name, value):
        through = Agreement.plan_actions.through
        return qs.filter(Exists(through.objects.filter(agreement_id=OuterRef("pk"), action_id=value.pk)))
