from django.urls import path

from agreements.clauses import views

app_name = "clauses"
urlpatterns = [
    path("", views.library_page, name="library"),
    path("clausole/<slug:code>/", views.clause_edit, name="clause_edit"),
    path("modelli/<str:kind>/", views.kind_template_edit, name="kind_template_edit"),
]
