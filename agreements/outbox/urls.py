from django.urls import path

from . import views

# Mounted under /promemoria/ in the "reminders" namespace (config/urls.py).
urlpatterns = [
    path("outbox/", views.outbox, name="outbox"),
    path("outbox/<int:pk>/ritenta/", views.outbox_retry_view, name="outbox_retry"),
]
