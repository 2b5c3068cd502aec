"""The activity register and the stakeholder registry: drafters record once through services with audit, DG
referents see what involves their DG, bad input writes nothing, duplicate stakeholders are caught."""

import datetime
import re

import pytest
from django.urls import reverse

from agreements.activities.services import (
    DuplicateStakeholderError,
    activity_create,
    activity_update,
    stakeholder_create,
)
from agreements.common.errors import PermissionDeniedError, ServiceError
from agreements.models import Activity, ActivityKind, AuditEvent, Stakeholder, StakeholderType
from tests.support.factories import CounterpartFactory, InForceAgreementFactory

pytestmark = pytest.mark.django_db
LIST = reverse("activities:list")


@pytest.fixture
def unibo(drafter):
    return stakeholder_create(actor=drafter, name="Università di Bologna", type=StakeholderType.UNIVERSITY)


@pytest.fixture
def two_activities(drafter, dg_agri, dg_crli, unibo):
    """A delegation involving DG AGRI (France) and a meeting involving DG CRLI only (United States)."""
    agri = activity_create(actor=drafter, kind=ActivityKind.DELEGATION_RECEIVED, title="Delegazione Nouvelle-Aquitaine",
                           starts_on=datetime.date(2022, 5, 10), country_code="fr", dgs=[dg_agri],
                           stakeholders=[unibo], participants=12)
    crli = activity_create(actor=drafter, kind=ActivityKind.DIPLOMATIC_MEETING, title="Incontro Pennsylvania",
                           starts_on=datetime.date(2022, 7, 1), country_code="US", dgs=[dg_crli])
    return agri, crli


def test_drafter_records_an_activity_through_the_form_with_one_audit_event(client, drafter, dg_agri, unibo):
    counterpart = CounterpartFactory(name="Catalogna", country="Spagna", country_code="ES")
    agreement = InForceAgreementFactory(reference="INT-2022-009", counterpart=counterpart, dgs=[dg_agri])
    client.force_login(drafter)
    before = AuditEvent.objects.count()
    response = client.post(reverse("activities:create"), {
        "kind": "event", "title": "Evento Catalogna a Bologna", "starts_on": "2023-03-02", "ends_on": "2023-03-03",
        "place": "Bologna", "country_code": "ES", "counterparts": [counterpart.pk], "dgs": [dg_agri.pk],
        "agreements": [agreement.pk], "stakeholders": [unibo.pk], "participants": "80",
        "participants_on_territory": "60", "follow_up_projects": "Progetto Erasmus+ congiunto",
    })
    assert response.status_code == 302
    activity = Activity.objects.get()
    assert (activity.kind, activity.country_code, activity.participants_on_territory) == ("event", "ES", 60)
    assert list(activity.agreements.all()) == [agreement] and list(activity.dgs.all()) == [dg_agri]
    assert activity.created_by == drafter and activity.has_spillover
    events = list(AuditEvent.objects.order_by("id")[before:])
    assert [e.action for e in events] == ["activity_create"]
    assert events[0].detail["agreements"] == ["INT-2022-009"] and events[0].detail["stakeholders"] == [unibo.name]
    # the stakeholder's first involvement is the activity's date
    unibo.refresh_from_db()
    assert unibo.first_involved_on == datetime.date(2023, 3, 2)
    # and the agreement page lists the activity
    html = client.get(reverse("agreements:detail", args=[agreement.reference])).content.decode()
    section = re.search(r'id="attivita-accordo">(.*?)</section>', html, re.S).group(1)
    assert "Evento Catalogna a Bologna" in section


@pytest.mark.parametrize("change, field", [
    ({"ends_on": "2023-03-01"}, None),
    ({"country_code": "XX"}, "country_code"),
    ({"participants": "-1"}, "participants"),
    ({"kind": "picnic"}, "kind"),
    ({"title": ""}, "title"),
    ({"participants": "10", "participants_on_territory": "20"}, None),
])
def test_bad_activity_is_refused_and_nothing_is_written(client, drafter, change, field):
    client.force_login(drafter)
    payload = {"kind": "event", "title": "Evento", "starts_on": "2023-03-02", **change}
    response = client.post(reverse("activities:create"), payload)
    assert response.status_code == 400
    html = response.content.decode()
    if field:
        assert f'id="id_{field}-errors"' in html
    else:
        assert 'class="errors" role="alert"' in html
    assert not Activity.objects.exists()
    assert not AuditEvent.objects.filter(action="activity_create").exists()


def test_referent_sees_only_activities_involving_their_dg(client, referent_agri, two_activities):
    agri, crli = two_activities
    client.force_login(referent_agri)
    html = client.get(LIST).content.decode()
    assert "Delegazione Nouvelle-Aquitaine" in html and "Incontro Pennsylvania" not in html
    assert client.get(reverse("activities:detail", args=[agri.pk])).status_code == 200
    assert client.get(reverse("activities:detail", args=[crli.pk])).status_code == 404
    # the stakeholders registry shows only the stakeholders of the activities they see
    assert "Università di Bologna" in client.get(reverse("activities:stakeholders")).content.decode()


def test_referent_of_another_dg_sees_no_stakeholder_of_hidden_activities(client, referent_crli, two_activities):
    client.force_login(referent_crli)
    assert "Università di Bologna" not in client.get(reverse("activities:stakeholders")).content.decode()
    assert "Incontro Pennsylvania" in client.get(LIST).content.decode()


def test_only_drafters_keep_the_register(client, observer, referent_agri, two_activities, dg_agri):
    agri, _ = two_activities
    for user in (observer, referent_agri):
        client.force_login(user)
        assert client.get(reverse("activities:create")).status_code == 403
        assert client.post(reverse("activities:create"), {"kind": "event", "title": "X",
                                                           "starts_on": "2023-01-01"}).status_code == 403
        assert client.post(reverse("activities:stakeholder_create"),
                           {"name": "Comune di Parma", "type": "local_authority"}).status_code == 403
        with pytest.raises(PermissionDeniedError):
            activity_update(actor=user, activity=agri, title="Cambiato")
    assert Activity.objects.count() == 2 and not Stakeholder.objects.filter(name="Comune di Parma").exists()
    assert Activity.objects.get(pk=agri.pk).title == "Delegazione Nouvelle-Aquitaine"


def test_update_is_audited_with_old_and_new_values(drafter, two_activities, dg_crli, unibo):
    agri, _ = two_activities
    activity_update(actor=drafter, activity=agri, title="Delegazione NA", dgs=[dg_crli],
                    starts_on=datetime.date(2022, 4, 1), stakeholders=[unibo])
    event = AuditEvent.objects.filter(action="activity_update").get()
    assert event.changes["title"] == ["Delegazione Nouvelle-Aquitaine", "Delegazione NA"]
    assert event.changes["dgs"] == [["dg-agri"], ["dg-crli"]]
    assert event.changes["starts_on"] == ["2022-05-10", "2022-04-01"]
    unibo.refresh_from_db()
    assert unibo.first_involved_on == datetime.date(2022, 4, 1)  # the earlier activity date wins
    # an update that changes nothing writes no event
    activity_update(actor=drafter, activity=agri, title="Delegazione NA")
    assert AuditEvent.objects.filter(action="activity_update").count() == 1
    with pytest.raises(ServiceError):
        activity_update(actor=drafter, activity=agri, ends_on=datetime.date(2022, 1, 1))


def test_similar_stakeholder_names_are_caught(client, drafter, unibo):
    with pytest.raises(DuplicateStakeholderError) as caught:
        stakeholder_create(actor=drafter, name="Universita di Bologna", type=StakeholderType.UNIVERSITY)
    assert caught.value.similar == [unibo]
    with pytest.raises(DuplicateStakeholderError):
        stakeholder_create(actor=drafter, name="università di bologna", type=StakeholderType.UNIVERSITY,
                           allow_similar=True)  # an equal name is refused even when confirmed
    client.force_login(drafter)
    response = client.post(reverse("activities:stakeholder_create"),
                           {"name": "Università degli Studi di Bologna", "type": "university"})
    assert response.status_code == 400 and "nome simile" in response.content.decode()
    assert Stakeholder.objects.count() == 1
    response = client.post(reverse("activities:stakeholder_create"),
                           {"name": "Università degli Studi di Bologna", "type": "university",
                            "allow_similar": "on", "internal": ""})
    assert response.status_code == 302
    assert Stakeholder.objects.count() == 2
    assert AuditEvent.objects.filter(action="stakeholder_create").count() == 2
