"""One form per human step. Fields are named after the keyword arguments of the step's service, so the cleaned
data goes to the service as is; the service, not the form, decides what is valid for the agreement."""

from django import forms
from django.utils.translation import gettext_lazy as _

from agreements.models import OpinionKind
from agreements.models.agreement import ObservationsOutcome
from agreements.procedure.services import Decision


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def date_field(label, required=True):
    return forms.DateField(label=label, required=required, widget=DateInput())


class NegotiationForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("Il testo è concordato con la controparte in tutte le lingue"),
        help_text=_("Le versioni del testo si caricano dalla pagina dell'accordo."),
    )

    def service_data(self):
        return {}


class OpinionForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Parere"),
        choices=[
            (OpinionKind.FAVOURABLE, OpinionKind.FAVOURABLE.label),
            (OpinionKind.FAVOURABLE_REMARKS, OpinionKind.FAVOURABLE_REMARKS.label),
            (OpinionKind.UNFAVOURABLE, OpinionKind.UNFAVOURABLE.label),
        ],
        widget=forms.RadioSelect,
    )
    notes = forms.CharField(label=_("Note"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 4}))


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decisione"),
        choices=[
            (Decision.APPROVE, _("Approva")),
            (Decision.SEND_BACK, _("Rinvia alla negoziazione con osservazioni")),
            (Decision.REJECT, _("Respingi")),
        ],
        widget=forms.RadioSelect,
    )
    remarks = forms.CharField(label=_("Osservazioni"), required=False, max_length=5000,
                              widget=forms.Textarea(attrs={"rows": 4}))


class GiuntaForm(forms.Form):
    dgr_number = forms.CharField(label=_("Numero DGR"), max_length=20, help_text=_("Nella forma 1234/2022"))
    dgr_date = date_field(_("Data della DGR"))


class NoticeForm(forms.Form):
    date = date_field(_("Data di invio"))
    protocol = forms.CharField(label=_("Numero di protocollo"), max_length=60)


class ObservationsForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Esito"),
        choices=[(ObservationsOutcome.NULLA_OSTA, _("Nulla osta")),
                 (ObservationsOutcome.OBSERVATIONS, _("Osservazioni"))],
        widget=forms.RadioSelect,
    )
    date = date_field(_("Data della risposta"))
    text = forms.CharField(label=_("Testo delle osservazioni"), required=False, max_length=10000,
                           widget=forms.Textarea(attrs={"rows": 4}))
    full_powers_date = date_field(_("Data dei pieni poteri (solo accordi con Stati esteri)"), required=False)
    full_powers_protocol = forms.CharField(label=_("Protocollo dei pieni poteri"), required=False, max_length=60)


class SignatureForm(forms.Form):
    place = forms.CharField(label=_("Luogo della firma"), max_length=120)
    date = date_field(_("Data della firma"))


class RatificationForm(forms.Form):
    transmission_date = date_field(_("Trasmissione all'Assemblea legislativa"))
    committee_opinion_date = date_field(_("Parere della commissione"), required=False)
    act = forms.CharField(label=_("Atto di ratifica"), max_length=120)
    date = date_field(_("Data della ratifica"))
    entry_into_force = date_field(_("Entrata in vigore, se diversa dalla ratifica"), required=False)


class PublicationForm(forms.Form):
    burert_reference = forms.CharField(label=_("Riferimento BURERT"), max_length=120)
    published_on = date_field(_("Data di pubblicazione"))
