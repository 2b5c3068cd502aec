from django.urls import path

from agreements.records import views

# Mounted at the root in the "agreements" namespace, after the process pages of workflows (config/urls.py).
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("accordi/", views.register, name="register"),
    path("accordi/<str:reference>/", views.agreement_detail, name="detail"),
    path("accordi/<str:reference>/modifica/", views.agreement_edit, name="edit"),
    path("accordi/<str:reference>/articoli/", views.articles_edit, name="articles"),
    path("accordi/<str:reference>/firmatari/", views.signatories_edit, name="signatories"),
    path("accordi/<str:reference>/non-rinnovare/", views.renewal_decline, name="renewal_decline"),
    path("accordi/<str:reference>/proroga-informativa/", views.tacit_extension_inform, name="tacit_extension_inform"),
]
