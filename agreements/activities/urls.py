from django.urls import path

from agreements.activities import views

app_name = "activities"
urlpatterns = [
    path("", views.activity_list, name="list"),
    path("nuova/", views.activity_edit, name="create"),
    path("<int:pk>/", views.activity_detail, name="detail"),
    path("<int:pk>/modifica/", views.activity_edit, name="edit"),
    path("<int:pk>/allegati/", views.attachment_upload, name="attachment_upload"),
    path("<int:pk>/allegati/<int:version>/", views.attachment_download, name="attachment_download"),
    path("territorio/", views.territory_index, name="territory_index"),
    path("territorio/controparte/<int:pk>/", views.territory_counterpart, name="territory_counterpart"),
    path("territorio/<str:code>/", views.territory_country, name="territory_country"),
    path("stakeholder/", views.stakeholder_list, name="stakeholders"),
    path("stakeholder/nuovo/", views.stakeholder_create, name="stakeholder_create"),
]
