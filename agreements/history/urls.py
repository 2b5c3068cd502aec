from django.urls import path

from . import views

# Mounted under /storico/ (config/urls.py).
app_name = "history"
urlpatterns = [
    path("<str:reference>/", views.history_page, name="page"),
    path("<str:reference>/storico.csv", views.history_csv, name="csv"),
    path("<str:reference>/storico.pdf", views.history_pdf_download, name="pdf"),
]
