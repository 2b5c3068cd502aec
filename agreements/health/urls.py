from django.urls import path

from . import views

# Mounted under /promemoria/ in the "reminders" namespace (config/urls.py).
urlpatterns = [
    path("salute/", views.health, name="health"),
]
