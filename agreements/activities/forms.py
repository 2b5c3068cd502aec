"""Forms of the activity register and the stakeholder registry (they only read input; services write)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from agreements.common.languages import country_choices
from agreements.models import Action, ActivityKind, Agreement, Counterpart, Sector, Stakeholder, StakeholderType
from agreements.models.documents import ACTIVITY_DOCUMENT_TYPES


class ActivityForm(forms.Form):
    kind = forms.ChoiceField(label=_("Tipologia"), choices=ActivityKind.choices)
    title = forms.CharField(label=_("Titolo"), max_length=300)
    starts_on = forms.DateField(label=_("Data di inizio"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("Data di fine"), required=False,
                              widget=forms.DateInput(attrs={"type": "date"}))
    place = forms.CharField(label=_("Luogo"), max_length=200, required=False)
    country_code = forms.ChoiceField(label=_("Paese"), required=False)
    counterparts = forms.ModelMultipleChoiceField(label=_("Controparti"), queryset=Counterpart.objects.order_by("name"),
                                                  required=False)
    dgs = forms.ModelMultipleChoiceField(label=_("DG e settori coinvolti"), queryset=Sector.objects.order_by("name"),
                                         required=False)
    plan_actions = forms.ModelMultipleChoiceField(
        label=_("Azioni del piano"), required=False,
        queryset=Action.objects.select_related("plan").order_by("plan__start_year", "number"))
    agreements = forms.ModelMultipleChoiceField(label=_("Accordi"), required=False,
                                                queryset=Agreement.objects.none())
    stakeholders = forms.ModelMultipleChoiceField(label=_("Stakeholder coinvolti"), required=False,
                                                  queryset=Stakeholder.objects.order_by("name"))
    participants = forms.IntegerField(label=_("Partecipanti"), min_value=0, max_value=1_000_000, required=False)
    participants_on_territory = forms.IntegerField(label=_("di cui partecipanti sul territorio"), min_value=0,
                                                   max_value=1_000_000, required=False)
    follow_up_projects = forms.CharField(label=_("Progetti di follow-up (spillover)"), required=False,
                                         widget=forms.Textarea(attrs={"rows": 2}))
    funding_applications = forms.CharField(label=_("Candidature a finanziamenti (spillover)"), required=False,
                                           widget=forms.Textarea(attrs={"rows": 2}))
    notes = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, agreements=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country_code"].choices = [("", "—")] + country_choices()
        self.fields["plan_actions"].label_from_instance = lambda a: f"{a.plan.code} · {a.number}. {a.short_title}"
        if agreements is not None:
            self.fields["agreements"].queryset = agreements.order_by("reference")
        self.fields["agreements"].label_from_instance = lambda a: f"{a.reference} {a.title}"


class StakeholderForm(forms.Form):
    name = forms.CharField(label=_("Denominazione"), max_length=200)
    type = forms.ChoiceField(label=_("Tipologia"), choices=StakeholderType.choices)
    internal = forms.BooleanField(label=_("Interno all'amministrazione regionale"), required=False)
    first_involved_on = forms.DateField(label=_("Primo coinvolgimento"), required=False,
                                        widget=forms.DateInput(attrs={"type": "date"}))
    notes = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    allow_similar = forms.BooleanField(label=_("Confermo che è un soggetto diverso da quelli simili"),
                                       required=False)


class AttachmentForm(forms.Form):
    doc_type = forms.ChoiceField(label=_("Tipo di allegato"),
                                 choices=[(t.value, t.label) for t in ACTIVITY_DOCUMENT_TYPES])
    file = forms.FileField(label=_("File (.docx, PDF o .p7m)"))
