from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class PreferencesForm(forms.Form):
    language = forms.ChoiceField(label=_("Lingua dei messaggi"), choices=settings.LANGUAGES)
    daily_digest = forms.TypedChoiceField(
        label=_("Messaggi informativi"), coerce=lambda v: v == "1", widget=forms.RadioSelect,
        choices=[("0", _("Subito, un'e-mail per messaggio")), ("1", _("In un riepilogo giornaliero"))],
        help_text=_("Pareri espressi e cambi di fase. Le attività da svolgere e le scadenze arrivano sempre subito."),
    )
