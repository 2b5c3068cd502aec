from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import ReminderPolicy

# --- Reminders (issue 6): the thresholds an administrator edits ----------------------------------------------


class ReminderPolicyForm(forms.ModelForm):
    class Meta:
        model = ReminderPolicy
        fields = [
            "expiry_thresholds", "expiry_repeat_days", "notice_thresholds", "consultation_days_before",
            "observations_days_before", "ratification_pending_days", "idle_task_days", "catch_up_days",
        ]

    def _days(self, name):
        value = self.cleaned_data[name]
        if not isinstance(value, list) or not all(isinstance(v, int) and 0 <= v <= 3650 for v in value):
            raise forms.ValidationError(
                _("Un elenco di giorni interi tra 0 e 3650, per esempio [180, 90, 60, 30, 7, 0].")
            )
        if len(set(value)) != len(value):
            raise forms.ValidationError(_("Ogni soglia una sola volta."))
        return sorted(value, reverse=True)

    def clean_expiry_thresholds(self):
        return self._days("expiry_thresholds")

    def clean_notice_thresholds(self):
        return self._days("notice_thresholds")


@admin.register(ReminderPolicy)
class ReminderPolicyAdmin(admin.ModelAdmin):
    form = ReminderPolicyForm
    list_display = ("__str__", "expiry_thresholds", "expiry_repeat_days", "idle_task_days")

    def has_add_permission(self, request):
        return not ReminderPolicy.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        from .reminders import reminder_policy_update

        reminder_policy_update(actor=request.user, **{name: form.cleaned_data[name] for name in form.changed_data})


# --- end of the reminders block ---------------------------------------------------------------------------------
