from django.urls import path, register_converter

from agreements.exports import views as export_views


class SheetFormat:
    """csv (RFC 4180, for programs), excel.csv (semicolons, BOM, Italian dates: opens in Italian Excel), xlsx, ods."""

    regex = r"excel\.csv|csv|xlsx|ods"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(SheetFormat, "sheet")

app_name = "exports"
urlpatterns = [
    path("", export_views.index, name="index"),
    path("registro.<sheet:fmt>", export_views.register, name="register"),
    path("trasparenza.<sheet:fmt>", export_views.transparency, name="transparency"),
    path("piano-indicatori.csv", export_views.plan_csv, name="plan_csv"),
    path("piano-azioni.csv", export_views.plan_actions_csv, name="plan_actions_csv"),
    path("piano-indicatori.<sheet:fmt>", export_views.plan_indicators, name="plan_indicators"),
    path("piano-azioni.<sheet:fmt>", export_views.plan_actions_sheet, name="plan_actions"),
    path("attivita.<sheet:fmt>", export_views.activities_sheet, name="activities"),
    path("stakeholder.<sheet:fmt>", export_views.stakeholders_sheet, name="stakeholders"),
    path("piano-valori.<sheet:fmt>", export_views.indicator_values_sheet, name="indicator_values"),
    path("chiave-api/", export_views.api_key, name="api_key"),
]
