"""Admin: every model is there, in Italian; records that change only through services are read-only."""

import pytest
from django.contrib import admin
from django.urls import reverse

from agreements.models import Agreement
from tests.support.factories import AgreementFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(admin_user):
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    return admin_user


def test_every_agreements_model_has_an_admin_page(client, superuser):
    from django.apps import apps

    # the search index is derived data, rebuilt by manage.py search_reindex
    internal = {"ReferenceCounter", "SearchEntry", "SearchWatermark"}
    models = [m for m in apps.get_app_config("agreements").get_models() if m.__name__ not in internal]
    missing = [m.__name__ for m in models if m not in admin.site._registry]
    assert missing == []
    client.force_login(superuser)
    AgreementFactory()
    for model in models:
        url = reverse(f"admin:agreements_{model._meta.model_name}_changelist")
        assert client.get(url).status_code == 200, url


def test_agreements_and_audit_are_read_only_in_the_admin(client, superuser):
    agreement = AgreementFactory(title="Intesa originale")
    client.force_login(superuser)
    assert client.get(reverse("admin:agreements_agreement_add")).status_code == 403
    response = client.post(reverse("admin:agreements_agreement_change", args=[agreement.pk]), {"title": "Cambiato"})
    assert response.status_code in (200, 403)
    assert Agreement.objects.get(pk=agreement.pk).title == "Intesa originale"
    assert client.post(reverse("admin:agreements_agreement_delete", args=[agreement.pk]), {"post": "yes"}
                       ).status_code == 403
    assert Agreement.objects.filter(pk=agreement.pk).exists()
    assert client.get(reverse("admin:agreements_auditevent_add")).status_code == 403
    page = client.get(reverse("admin:index")).content.decode()
    assert "Accordi internazionali" in page
