from django.urls import path

from . import reminder_views as views

app_name = "reminders"
urlpatterns = [
    path("outbox/", views.outbox, name="outbox"),
    path("outbox/<int:pk>/ritenta/", views.outbox_retry_view, name="outbox_retry"),
    path("salute/", views.health, name="health"),
    path("calendario/", views.calendar, name="calendar"),
    path("calendario/<str:key>.ics", views.calendar_feed, name="calendar_feed"),
]
