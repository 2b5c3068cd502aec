from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from agreements.api import api
from agreements.security import LockoutAdminAuthenticationForm, LoginView
from workflows.views import task_page

# Both login pages count failed logins and lock out password guessing (agreements.security).
admin.site.login_form = LockoutAdminAuthenticationForm

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("workflow/", include("workflows.urls")),
    path("attivita/<int:task_pk>/", task_page, name="task_page"),
    path("documenti/", include("agreements.document_urls")),
    path("promemoria/", include("agreements.reminder_urls")),
    path("piano/", include("agreements.plan_urls")),
    path("esportazioni/", include("agreements.export_urls")),
    path("api/", api.urls),
    path("", include("agreements.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
