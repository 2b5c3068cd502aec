from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from agreements.reminders.services import reminder_policy_update

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
        reminder_policy_update(actor=request.user, **{name: form.cleaned_data[name] for name in form.changed_data})


# --- end of the reminders block ---------------------------------------------------------------------------------


# --- Reference data and read-only records (foundation) ----------------------------------------------------------
# Administrators keep users, DGs, counterparts and the plan's reference data. Agreements, opinions, documents,
# reminders, e-mails and the audit trail change only through the services (the product's pages), so the admin
# shows them read-only: no add, change or delete.

from .models import (  # noqa: E402
    Action,
    Activity,
    Agreement,
    Article,
    AuditEvent,
    ClauseVersion,
    Counterpart,
    Delegation,
    DocumentTemplate,
    DocumentVersion,
    Heartbeat,
    Indicator,
    IndicatorActual,
    IndicatorTarget,
    KindTemplate,
    Notification,
    Objective,
    Opinion,
    OutboxMessage,
    Plan,
    Profile,
    Reminder,
    Sector,
    Signatory,
    Stakeholder,
    UserToken,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Sector)
class SectorAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "is_dg")
    list_filter = ("is_dg",)
    search_fields = ("code", "name")


@admin.register(Counterpart)
class CounterpartAdmin(admin.ModelAdmin):
    list_display = ("name", "name_local", "country", "type", "language")
    list_filter = ("type", "country")
    search_fields = ("name", "name_local", "country")


@admin.register(Objective)
class ObjectiveAdmin(admin.ModelAdmin):
    list_display = ("plan", "number", "title")
    list_filter = ("plan",)
    search_fields = ("title",)


@admin.register(Action)
class ActionAdmin(admin.ModelAdmin):
    list_display = ("plan", "number", "short_title", "timing")
    list_filter = ("plan", "sectors")
    search_fields = ("title", "short_title", "stakeholders", "output")
    filter_horizontal = ("sectors",)


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ("code", "title", "start_year", "end_year", "adoption_act_number", "adoption_act_date")
    search_fields = ("code", "title")


class IndicatorTargetInline(admin.TabularInline):
    model = IndicatorTarget
    extra = 0


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    list_display = ("plan", "number", "name")
    list_filter = ("plan",)
    search_fields = ("name", "expected_result")
    inlines = [IndicatorTargetInline]


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "dg", "language", "daily_digest")
    list_filter = ("dg", "language", "daily_digest")
    search_fields = ("user__username", "user__last_name")


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "user", "kind", "subject", "read_at", "digest_pending")
    list_filter = ("kind", "digest_pending")
    search_fields = ("user__username", "subject")


@admin.register(Delegation)
class DelegationAdmin(ReadOnlyAdmin):
    list_display = ("user", "deputy", "starts_on", "ends_on")
    search_fields = ("user__username", "deputy__username")


class SignatoryInline(admin.TabularInline):
    model = Signatory
    extra = 0
    can_delete = False


class ArticleInline(admin.StackedInline):
    model = Article
    extra = 0
    can_delete = False


@admin.register(Agreement)
class AgreementAdmin(ReadOnlyAdmin):
    list_display = ("reference", "title", "kind", "status", "counterpart", "entry_into_force", "end_date")
    list_filter = ("kind", "status", "dgs")
    search_fields = ("reference", "title", "counterpart__name", "counterpart__country")
    date_hierarchy = "entry_into_force"
    inlines = [SignatoryInline, ArticleInline]


@admin.register(Opinion)
class OpinionAdmin(ReadOnlyAdmin):
    list_display = ("agreement", "dg", "round", "kind", "due_date", "given_by")
    list_filter = ("kind", "dg")
    search_fields = ("agreement__reference",)


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "actor_name", "on_behalf_of", "action", "agreement")
    list_filter = ("action",)
    search_fields = ("actor_name", "action", "agreement__reference")
    date_hierarchy = "at"


@admin.register(IndicatorActual)
class IndicatorActualAdmin(ReadOnlyAdmin):
    list_display = ("indicator", "year", "value", "recorded_by")
    list_filter = ("year",)


@admin.register(DocumentVersion)
class DocumentVersionAdmin(ReadOnlyAdmin):
    list_display = ("agreement", "doc_type", "number", "source", "size", "author", "created_at")
    list_filter = ("doc_type", "source")
    search_fields = ("agreement__reference", "filename", "sha256")


@admin.register(DocumentTemplate)
class DocumentTemplateAdmin(ReadOnlyAdmin):
    list_display = ("name", "revision", "uploaded_by", "uploaded_at")
    list_filter = ("name",)


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyAdmin):
    list_display = ("agreement", "kind", "threshold", "due_date", "deadline")
    list_filter = ("kind",)
    search_fields = ("agreement__reference",)


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    list_display = ("subject", "state", "attempts", "next_attempt_at", "sent_at")
    list_filter = ("state",)
    search_fields = ("subject", "message_id")


@admin.register(Heartbeat)
class HeartbeatAdmin(ReadOnlyAdmin):
    list_display = ("name", "last_success_at")


@admin.register(UserToken)
class UserTokenAdmin(ReadOnlyAdmin):
    list_display = ("user", "purpose", "prefix", "created_at", "revoked_at")
    list_filter = ("purpose",)
    exclude = ("key_hash",)


@admin.register(Signatory)
class SignatoryAdmin(ReadOnlyAdmin):
    list_display = ("agreement", "side", "name", "role")
    search_fields = ("agreement__reference", "name")


@admin.register(Article)
class ArticleAdmin(ReadOnlyAdmin):
    list_display = ("agreement", "number", "heading_it")
    search_fields = ("agreement__reference", "heading_it")


# Records that change only through their services (activities and clauses rooms, plan loading): read here.
@admin.register(Activity)
class ActivityAdmin(ReadOnlyAdmin):
    list_display = ("title", "kind", "starts_on", "country_code")
    list_filter = ("kind",)
    search_fields = ("title", "place")


@admin.register(Stakeholder)
class StakeholderAdmin(ReadOnlyAdmin):
    list_display = ("name", "type", "internal", "first_involved_on")
    list_filter = ("type", "internal")
    search_fields = ("name",)


@admin.register(ClauseVersion)
class ClauseVersionAdmin(ReadOnlyAdmin):
    list_display = ("code", "number", "created_by", "created_at")
    search_fields = ("code",)


@admin.register(KindTemplate)
class KindTemplateAdmin(ReadOnlyAdmin):
    list_display = ("kind", "revision", "created_by", "created_at")


@admin.register(IndicatorTarget)
class IndicatorTargetAdmin(ReadOnlyAdmin):
    list_display = ("indicator", "year", "value")
