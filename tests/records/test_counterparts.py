"""A counterpart entered from the proposal form: ISO 3166 country named in Italian, created with the proposal in
one transaction; a similar name in the same country (rapidfuzz) is refused unless confirmed, so "Región de
Murcia" is not entered twice; nothing is written when refused."""

import pytest

from agreements.common.errors import ServiceError
from agreements.models import Agreement, AuditEvent, Counterpart
from agreements.records.services import counterpart_create

pytestmark = pytest.mark.django_db


def test_a_similar_name_in_the_same_country_is_refused_unless_confirmed(drafter):
    murcia = counterpart_create(actor=drafter, name="Región de Murcia", country_code="es", type="region")
    assert (murcia.country, murcia.country_code) == ("Spagna", "ES")
    with pytest.raises(ServiceError) as refused:
        counterpart_create(actor=drafter, name="Region de Murcia", country_code="ES", type="region")
    assert "Región de Murcia" in str(refused.value)
    with pytest.raises(ServiceError):
        counterpart_create(actor=drafter, name="Comunidad Autónoma de la Región de Murcia", country_code="ES",
                           type="region")
    assert Counterpart.objects.count() == 1
    # Another country is another entity; a confirmed one is created, with its audit event.
    counterpart_create(actor=drafter, name="Région de Murcia", country_code="FR", type="region")
    counterpart_create(actor=drafter, name="Murcia Ciudad", country_code="ES", type="city", allow_similar=True)
    assert Counterpart.objects.count() == 3
    assert AuditEvent.objects.filter(action="counterpart_create").count() == 3


def test_an_unknown_country_is_refused(drafter):
    with pytest.raises(ServiceError):
        counterpart_create(actor=drafter, name="Atlantide", country_code="XX", type="state")
    assert not Counterpart.objects.exists()


def _proposal(**extra):
    return {"kind": "intesa", "title": "Intesa con la Murcia", "languages": "it, es", "duration_months": 36,
            "renewal_clause": "express", "consultation_days": 15, **extra}


def test_the_proposal_form_creates_the_counterpart_with_the_proposal(client, drafter):
    client.force_login(drafter)
    response = client.post("/accordi/nuovo/", _proposal(
        new_counterpart_name="Región de Murcia", new_counterpart_country="ES", new_counterpart_type="region"))
    assert response.status_code == 302
    agreement = Agreement.objects.get()
    assert agreement.counterpart.name == "Región de Murcia" and agreement.counterpart.country == "Spagna"


def test_a_duplicate_from_the_form_is_refused_and_nothing_is_written(client, drafter):
    counterpart_create(actor=drafter, name="Región de Murcia", country_code="ES", type="region")
    client.force_login(drafter)
    events = AuditEvent.objects.count()
    response = client.post("/accordi/nuovo/", _proposal(
        new_counterpart_name="Region de Murcia", new_counterpart_country="ES", new_counterpart_type="region"))
    assert response.status_code == 200
    assert "esiste già una controparte simile: Región de Murcia" in response.content.decode()
    assert not Agreement.objects.exists() and Counterpart.objects.count() == 1
    assert AuditEvent.objects.count() == events
    # Neither from the list nor new: told next to the field.
    response = client.post("/accordi/nuovo/", _proposal())
    assert "Scegliere la controparte o inserirne una nuova." in response.content.decode()
