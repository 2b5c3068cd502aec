"""Forms of the office's pages. They check the shape of the input (required, numbers, known codes); the services
decide what is valid for the agreement, and the views show the services' refusals next to the form."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from agreements.common.languages import country_choices, is_language, language_name
from agreements.common.plan_actions import PlanActionsChoiceField
from agreements.common.roles import Role
from agreements.models import Action, AgreementKind, Counterpart, CounterpartType, RenewalClause, Sector, Signatory
from agreements.records.services import Closure


def _codes(text: str) -> list[str]:
    return [code.strip().lower() for code in text.replace(";", ",").split(",") if code.strip()]


class LanguageListField(forms.CharField):
    """Languages as ISO 639-1 codes separated by commas ("it, fr"), stored as a list."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 100)
        kwargs.setdefault("help_text", _("Codici ISO 639-1 separati da virgola, per esempio: it, fr, zh"))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return ", ".join(value) if isinstance(value, list | tuple) else value

    def to_python(self, value):
        codes = _codes(super().to_python(value) or "")
        unknown = [code for code in codes if not is_language(code)]
        if unknown:
            raise forms.ValidationError(
                _("Codice di lingua sconosciuto: %(codes)s"), params={"codes": ", ".join(unknown)}, code="language"
            )
        return list(dict.fromkeys(codes))


class TextListField(forms.CharField):
    """Short labels separated by commas (subject areas), stored as a list."""

    def prepare_value(self, value):
        return ", ".join(value) if isinstance(value, list | tuple) else value

    def to_python(self, value):
        return [item.strip() for item in (super().to_python(value) or "").split(",") if item.strip()]


def directors():
    return get_user_model().objects.filter(groups__name=Role.DIRECTOR, is_active=True).order_by("username")


class DirectorChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user):
        return user.get_full_name() or user.get_username()


class RecordFieldsForm(forms.Form):
    """The fields a proposal and an edit of the record share."""

    title = forms.CharField(label=_("Titolo"), max_length=300)
    counterpart = forms.ModelChoiceField(
        label=_("Controparte"), queryset=Counterpart.objects.order_by("name"), empty_label=_("Scegli la controparte")
    )
    dgs = forms.ModelMultipleChoiceField(
        label=_("DG da consultare"), queryset=Sector.objects.filter(is_dg=True).order_by("name"), required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    plan_actions = PlanActionsChoiceField(
        label=_("Azioni del piano"), queryset=Action.objects.all(), required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    languages = LanguageListField(label=_("Lingue del testo"), initial="it")
    authentic_languages = LanguageListField(
        label=_("Versioni ugualmente autentiche"), required=False,
        help_text=_("Se vuoto, tutte le lingue del testo"),
    )
    subject_areas = TextListField(
        label=_("Ambiti di cooperazione"), required=False, max_length=500,
        help_text=_("Separati da virgola, per esempio: ricerca, cultura"),
    )
    binding = forms.BooleanField(
        label=_("Testo vincolante"), required=False, initial=True,
        help_text=_("Per memorandum, protocolli e lettere d'intenti: segue approvazione, notifica e ratifica"),
    )
    director = DirectorChoiceField(
        label=_("Dirigente responsabile"), queryset=directors(), required=False, empty_label=_("Nessuno")
    )
    duration_months = forms.IntegerField(label=_("Durata (mesi)"), min_value=1, max_value=1200, required=False)
    renewal_clause = forms.ChoiceField(
        label=_("Clausola di rinnovo"), choices=RenewalClause.choices, initial=RenewalClause.EXPRESS
    )
    renewal_notice_days = forms.IntegerField(
        label=_("Preavviso di disdetta (giorni)"), min_value=1, max_value=3650, required=False,
        help_text=_("Obbligatorio per il rinnovo tacito"),
    )
    consultation_days = forms.IntegerField(label=_("Giorni per il parere DG"), min_value=1, max_value=120, initial=15)
    estimated_cost = forms.DecimalField(
        label=_("Costo stimato (EUR)"), max_digits=12, decimal_places=2, min_value=0, required=False
    )

    def clean(self):
        data = super().clean()
        if "languages" in data and not data.get("authentic_languages"):
            data["authentic_languages"] = data["languages"]
        return data


class ProposalForm(RecordFieldsForm):
    """A proposal; its counterpart is chosen from the list or entered here (created with the proposal, with a
    duplicate check: a similar name in the same country needs `new_counterpart_confirm`)."""

    kind = forms.ChoiceField(label=_("Tipo"), choices=AgreementKind.choices)
    new_counterpart_name = forms.CharField(
        label=_("Nuova controparte: denominazione"), max_length=200, required=False,
        help_text=_("Solo se la controparte non è nell'elenco."),
    )
    new_counterpart_name_local = forms.CharField(
        label=_("Nuova controparte: denominazione in lingua originale"), max_length=200, required=False,
        help_text=_("Se diversa dalla denominazione."),
    )
    new_counterpart_country = forms.ChoiceField(label=_("Nuova controparte: Paese"), required=False, choices=())
    new_counterpart_type = forms.ChoiceField(
        label=_("Nuova controparte: tipo"), required=False, choices=[("", "—"), *CounterpartType.choices],
        help_text=_("Ente territoriale (regione, Stato federato, provincia, città) o Stato sovrano."),
    )
    new_counterpart_confirm = forms.BooleanField(
        label=_("È un ente diverso da quelli simili già registrati"), required=False,
    )

    field_order = ["kind", "title", "counterpart", "new_counterpart_name", "new_counterpart_name_local",
                   "new_counterpart_country", "new_counterpart_type", "new_counterpart_confirm"]

    NEW = ("new_counterpart_name", "new_counterpart_name_local", "new_counterpart_country", "new_counterpart_type",
           "new_counterpart_confirm")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["counterpart"].required = False
        self.fields["counterpart"].help_text = _("Oppure inserire una nuova controparte qui sotto.")
        self.fields["new_counterpart_country"].choices = [("", "—"), *country_choices()]

    def clean(self):
        data = super().clean()
        new = {name: data.pop(name, None) for name in self.NEW}
        if data.get("counterpart") and new["new_counterpart_name"]:
            self.add_error("new_counterpart_name", _("Scegliere la controparte dall'elenco oppure inserirne una "
                                                     "nuova, non entrambe."))
        elif not data.get("counterpart"):
            if not new["new_counterpart_name"]:
                self.add_error("counterpart", _("Scegliere la controparte o inserirne una nuova."))
            else:
                for name in ("new_counterpart_country", "new_counterpart_type"):
                    if not new[name]:
                        self.add_error(name, _("Obbligatorio per una nuova controparte."))
                data.pop("counterpart", None)
                data["new_counterpart"] = {
                    "name": new["new_counterpart_name"], "name_local": new["new_counterpart_name_local"] or "",
                    "country_code": new["new_counterpart_country"] or "", "type": new["new_counterpart_type"] or "",
                    "allow_similar": bool(new["new_counterpart_confirm"]),
                }
        return data


class AgreementEditForm(RecordFieldsForm):
    """The record, with the version the user loaded: a concurrent edit is refused by the service."""

    cost_notes = forms.CharField(label=_("Note sui costi"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    notes = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    implementation_notes = forms.CharField(
        label=_("Note di attuazione"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, locked=(), **kwargs):
        """`locked`: the fields a step has fixed (records.services.fixed_fields). They are shown disabled, so a
        posted value is ignored and the initial one kept; the service refuses a change made any other way."""
        super().__init__(*args, **kwargs)
        for name in locked:
            self.fields[name].disabled = True
            self.fields[name].help_text = _("Fissato dalla delibera di Giunta sul progetto: si modifica solo se il "
                                            "testo torna in negoziazione.")

    @classmethod
    def initial_for(cls, agreement) -> dict:
        initial = {name: getattr(agreement, name) for name in cls.base_fields if name not in ("dgs", "plan_actions")}
        initial.update(
            counterpart=agreement.counterpart_id,
            director=agreement.director_id,
            dgs=[dg.pk for dg in agreement.dgs.all()],
            plan_actions=[action.pk for action in agreement.plan_actions.all()],
        )
        return initial

    def service_values(self) -> dict:
        values = dict(self.cleaned_data)
        values.pop("version")
        return values


class ArticleForm(forms.Form):
    """One article: number, then heading and text in each language of the text (Italian required)."""

    languages: list[str] = ["it"]

    number = forms.IntegerField(label=_("Articolo n."), min_value=1, max_value=999)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for code in self.languages:
            name = language_name(code)
            required = code == "it"
            self.fields[f"heading_{code}"] = forms.CharField(
                label=_("Rubrica (%(language)s)") % {"language": name}, max_length=200, required=required)
            self.fields[f"text_{code}"] = forms.CharField(
                label=_("Testo (%(language)s)") % {"language": name}, required=required,
                widget=forms.Textarea(attrs={"rows": 6}))

    def columns(self):
        """(language name, heading field, text field) per language: the columns of the editor."""
        return [(language_name(code), self[f"heading_{code}"], self[f"text_{code}"]) for code in self.languages]


def article_formset(languages: list[str]):
    """The articles editor's formset for a text in `languages` (Italian first): one column per language."""
    form = type("ArticleForm", (ArticleForm,), {"languages": list(languages)})
    return forms.formset_factory(form, extra=1, can_delete=True)


def article_initial(articles, languages: list[str]) -> list[dict]:
    """Recorded articles as the editor's rows."""
    rows = []
    for article in articles:
        row = {"number": article.number}
        for code in languages:
            row[f"heading_{code}"] = article.heading(code)
            row[f"text_{code}"] = article.text(code)
        rows.append(row)
    return rows


def article_rows(rows: list[dict], languages: list[str]) -> list[dict]:
    """The editor's rows as the service takes them (number, heading_it, text_it, translations)."""
    return [
        {"number": row["number"], "heading_it": row["heading_it"], "text_it": row["text_it"],
         "translations": {code: {"heading": row[f"heading_{code}"], "text": row[f"text_{code}"]}
                          for code in languages if code != "it"}}
        for row in rows
    ]


class SignatoryForm(forms.Form):
    side = forms.ChoiceField(label=_("Parte"), choices=Signatory.Side.choices)
    name = forms.CharField(label=_("Nome"), max_length=200)
    role = forms.CharField(label=_("Carica"), max_length=200)


SignatoryFormSet = forms.formset_factory(SignatoryForm, extra=1, can_delete=True)


def formset_rows(formset) -> list[dict]:
    """The filled, not deleted rows of a valid formset, in order."""
    return [
        {k: v for k, v in form.cleaned_data.items() if k != "DELETE"}
        for form in formset.forms
        if form.cleaned_data and not form.cleaned_data.get("DELETE")
    ]


class CloseForm(forms.Form):
    closure = forms.ChoiceField(
        label=_("Chiusura"),
        choices=[
            (Closure.WITHDRAW, _("Ritira")),
            (Closure.ARCHIVE, _("Archivia")),
            (Closure.TERMINATE, _("Recesso (accordo in vigore)")),
        ],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(label=_("Motivazione"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4}))


class TacitExtensionInformForm(forms.Form):
    date = forms.DateField(label=_("Data dell'informativa"), widget=forms.DateInput(attrs={"type": "date"},
                                                                                  format="%Y-%m-%d"))
    protocol = forms.CharField(label=_("Numero di protocollo"), max_length=60)


class RenewalDeclineForm(forms.Form):
    reason = forms.CharField(
        label=_("Motivazione della decisione di non rinnovare"), max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
