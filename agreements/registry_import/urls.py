from django.urls import path

from . import views

app_name = "registry_import"
urlpatterns = [
    path("", views.upload, name="upload"),
]
