"""The site's URLs: each room's pages under its prefix. Where pages of two rooms share a namespace (the record
pages and the process pages of workflows in "agreements"; the calendar, outbox and health pages in "reminders"),
their patterns are joined here, so URL names stay the same whichever room holds the page."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from agreements.accounts.security import LockoutAdminAuthenticationForm, LoginView
from agreements.activities import urls as activities_urls
from agreements.clauses import urls as clauses_urls
from agreements.documents import urls as documents_urls
from agreements.exports import urls as exports_urls
from agreements.health import urls as health_urls
from agreements.history import urls as history_urls
from agreements.notifications import urls as notifications_urls
from agreements.outbox import urls as outbox_urls
from agreements.plan import urls as plan_urls
from agreements.records import urls as records_urls
from agreements.registry_import import urls as registry_import_urls
from agreements.reminders import urls as reminders_urls
from agreements.search import urls as search_urls
from config.api import api
from workflows import urls as workflows_urls
from workflows.process_views import task_page

# Both login pages count failed logins and lock out password guessing (agreements.accounts.security).
admin.site.login_form = LockoutAdminAuthenticationForm

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("workflow/", include(workflows_urls.urlpatterns)),
    path("attivita/<int:task_pk>/", task_page, name="task_page"),
    path("documenti/", include(documents_urls)),
    path("testi/", include(clauses_urls)),
    path("cerca/", include(search_urls)),
    path("promemoria/", include((
        reminders_urls.urlpatterns + outbox_urls.urlpatterns + health_urls.urlpatterns, "reminders"))),
    path("piano/", include(plan_urls)),
    path("registro-attivita/", include(activities_urls)),
    path("notifiche/", include(notifications_urls)),
    path("storico/", include(history_urls)),
    path("esportazioni/", include(exports_urls)),
    path("importazione-registro/", include(registry_import_urls)),
    path("api/", api.urls),
    path("", include((workflows_urls.process_urlpatterns + records_urls.urlpatterns, "agreements"))),
]

if settings.DEBUG:  # development only: media files served by Django
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# Italian pages, no traceback; 500 and 400 carry an incident reference that the log repeats (config/errors.py).
handler400 = "config.errors.bad_request"
handler403 = "config.errors.permission_denied"
handler404 = "config.errors.page_not_found"
handler500 = "config.errors.server_error"
