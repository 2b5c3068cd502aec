"""One form per human step. Fields are named after the keyword arguments of the step's service, so the cleaned
data goes to the service as is; the service, not the form, decides what is valid for the agreement."""

from django import forms
from django.utils.translation import gettext_lazy as _

from agreements.models import OpinionKind
from agreements.models.agreement import AssemblyObservations, ObservationsOutcome, SignatoryOffice
from agreements.models.agreement import RatificationForm as RatifiedBy
from agreements.procedure.services import Decision


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def date_field(label, required=True):
    return forms.DateField(label=label, required=required, widget=DateInput())


class QualificationForm(forms.Form):
    creates_commitments = forms.TypedChoiceField(
        label=_("Il testo crea impegni per la Regione?"),
        choices=[("1", _("Sì: segue la procedura completa (Giunta, Governo, Assemblea, ratifica)")),
                 ("0", _("No: via breve, in vigore con la firma"))],
        coerce=lambda value: value == "1", widget=forms.RadioSelect,
    )
    reason = forms.CharField(label=_("Motivazione"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))


class NegotiationNoticeForm(forms.Form):
    date = date_field(_("Data di invio"))
    protocol = forms.CharField(label=_("Numero di protocollo"), max_length=60)
    criteria = forms.CharField(label=_("Principi e criteri indicati dal Ministero degli Esteri"), required=False,
                               max_length=10000, widget=forms.Textarea(attrs={"rows": 3}))


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


class GovernmentNoticeForm(NoticeForm):
    dar_received_on = date_field(_("Ricevuta dal DAR il (ricevuta PEC)"), required=False)
    maeci_received_on = date_field(_("Ricevuta dal MAECI il (ricevuta PEC)"), required=False)


class AssemblyObservationsForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Osservazioni dell'Assemblea"),
        choices=[(AssemblyObservations.NONE, AssemblyObservations.NONE.label),
                 (AssemblyObservations.REMARKS, AssemblyObservations.REMARKS.label),
                 (AssemblyObservations.CHANGES, AssemblyObservations.CHANGES.label)],
        widget=forms.RadioSelect,
    )
    date = date_field(_("Data delle osservazioni"), required=False)
    act = forms.CharField(label=_("Atto dell'Assemblea"), required=False, max_length=120)
    text = forms.CharField(label=_("Testo delle osservazioni"), required=False, max_length=10000,
                           widget=forms.Textarea(attrs={"rows": 4}))


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
    full_powers_date = date_field(_("Data dei pieni poteri del Ministero degli Esteri"), required=False)
    full_powers_protocol = forms.CharField(label=_("Protocollo dei pieni poteri"), required=False, max_length=60)

    FULL_POWERS = ("full_powers_date", "full_powers_protocol")

    def __init__(self, *args, agreement=None, **kwargs):
        """Full powers exist only for an accordo with a foreign State (L. 131/2003 art. 6 c. 3): for any other
        kind the fields are not on the form, so posted values are ignored (and the service refuses them)."""
        super().__init__(*args, **kwargs)
        if agreement is not None and not agreement.needs_full_powers:
            for name in self.FULL_POWERS:
                del self.fields[name]


class SignatureForm(forms.Form):
    place = forms.CharField(label=_("Luogo della firma"), max_length=120)
    date = date_field(_("Data della firma"))
    region_signatory_office = forms.ChoiceField(
        label=_("Firma per la Regione"), required=False,
        choices=[(SignatoryOffice.PRESIDENT, SignatoryOffice.PRESIDENT.label),
                 (SignatoryOffice.ASSESSORE, SignatoryOffice.ASSESSORE.label),
                 (SignatoryOffice.OTHER, SignatoryOffice.OTHER.label)],
        help_text=_("Obbligatorio per gli atti che impegnano la Regione."),
    )
    region_signatory_name = forms.CharField(label=_("Nome del firmatario della Regione"), required=False,
                                            max_length=200)
    delegation_act = forms.CharField(label=_("Atto di delega del Presidente (per un assessore)"), required=False,
                                     max_length=60)
    delegation_date = date_field(_("Data della delega"), required=False)


class RatificationForm(forms.Form):
    transmission_date = date_field(_("Trasmissione all'Assemblea legislativa per la ratifica"))
    information_attached = forms.BooleanField(
        label=_("Trasmessa con le informazioni dell'art. 15 c. 2 lett. d), e), g) della L.R. 16/2008"),
        required=False,
    )
    committee_opinion_date = date_field(_("Parere della commissione"), required=False)
    form = forms.ChoiceField(label=_("Forma della ratifica"), widget=forms.RadioSelect,
                             choices=[(RatifiedBy.RESOLUTION, RatifiedBy.RESOLUTION.label),
                                      (RatifiedBy.LAW, RatifiedBy.LAW.label)])
    act = forms.CharField(label=_("Numero dell'atto di ratifica"), max_length=120)
    date = date_field(_("Data della ratifica (l'intesa ha efficacia da questa data)"))


class PublicationForm(forms.Form):
    burert_reference = forms.CharField(label=_("Riferimento BURERT"), max_length=120)
    published_on = date_field(_("Data di pubblicazione"))
    with_ratification_act = forms.BooleanField(label=_("Pubblicato insieme all'atto di ratifica"), required=False)
