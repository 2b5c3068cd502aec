"""Forms of the clause library pages (administrators)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from agreements.common.languages import language_name


class ClauseForm(forms.Form):
    """Heading and text of a clause in each language (Italian required), and a note on the change."""

    note = forms.CharField(label=_("Nota sulla modifica"), max_length=300, required=False)

    def __init__(self, *args, languages=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.languages = list(languages)
        for code in self.languages:
            name = language_name(code)
            self.fields[f"heading_{code}"] = forms.CharField(
                label=_("Rubrica (%(language)s)") % {"language": name}, max_length=200, required=code == "it")
            self.fields[f"text_{code}"] = forms.CharField(
                label=_("Testo (%(language)s)") % {"language": name}, required=code == "it",
                widget=forms.Textarea(attrs={"rows": 6}))

    def columns(self):
        return [(language_name(code), self[f"heading_{code}"], self[f"text_{code}"]) for code in self.languages]

    def texts(self) -> dict:
        return {code: {"heading": self.cleaned_data[f"heading_{code}"], "text": self.cleaned_data[f"text_{code}"]}
                for code in self.languages}


class KindTemplateForm(forms.Form):
    clauses = forms.CharField(
        label=_("Clausole, una per riga, nell'ordine degli articoli"), widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_("I codici delle clausole della biblioteca (per esempio: premesse, oggetto, ambiti)."))

    def codes(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["clauses"].splitlines() if line.strip()]
