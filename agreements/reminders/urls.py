from django.urls import path

from agreements.reminders import views

# Mounted under /promemoria/ in the "reminders" namespace, with the outbox and health pages (config/urls.py).
urlpatterns = [
    path("calendario/", views.calendar, name="calendar"),
    path("calendario/<str:key>.ics", views.calendar_feed, name="calendar_feed"),
]
