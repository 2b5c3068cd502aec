from django.urls import path

from agreements.plan import views as plan_views

app_name = "plan"
urlpatterns = [
    path("", plan_views.plan_monitoring, name="monitoring"),
    path("valori/", plan_views.actual_record, name="actual_record"),
    path("rapporto/", plan_views.plan_report, name="report"),
]
