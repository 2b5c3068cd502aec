from django import forms
from django.utils.translation import gettext_lazy as _


class RegisterFileForm(forms.Form):
    file = forms.FileField(label=_("File del registro (.xlsx, .ods, .csv)"))
