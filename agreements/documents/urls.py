from django.urls import path

from agreements.documents import views

app_name = "documents"
urlpatterns = [
    path("accordo/<str:reference>/", views.versions, name="versions"),
    path("accordo/<str:reference>/genera/", views.generate, name="generate"),
    path("accordo/<str:reference>/carica/", views.upload, name="upload"),
    path("accordo/<str:reference>/confronto/", views.compare_versions, name="compare"),
    path("accordo/<str:reference>/confronto.docx", views.compare_download, name="compare_download"),
    path("accordo/<str:reference>/versioni/<int:pk>/", views.download, name="download"),
    path("accordo/<str:reference>/versioni/<int:pk>/pdf/", views.pdf, name="pdf"),
    path("modelli/", views.templates, name="templates"),
    path("modelli/<str:name>/", views.template_download, name="template_download"),
]
