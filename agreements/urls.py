from django.urls import path

from . import views

app_name = "agreements"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("accordi/", views.register, name="register"),
    path("accordi/nuovo/", views.proposal_create, name="create"),
    path("accordi/<str:reference>/", views.agreement_detail, name="detail"),
    path("accordi/<str:reference>/modifica/", views.agreement_edit, name="edit"),
    path("accordi/<str:reference>/articoli/", views.articles_edit, name="articles"),
    path("accordi/<str:reference>/firmatari/", views.signatories_edit, name="signatories"),
    path("accordi/<str:reference>/rinnovo/", views.renewal_start, name="renewal_start"),
    path("accordi/<str:reference>/non-rinnovare/", views.renewal_decline, name="renewal_decline"),
    path("accordi/<str:reference>/chiudi/", views.agreement_close, name="close"),
]
