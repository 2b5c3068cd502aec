"""The office's forms (issue 13 item 7): signatories saved as a formset (several rows added and removed in one
save), fields a step has fixed (title and counterpart after the Giunta's resolution on the draft) locked in the form
and in the service until the text goes back to negotiation, the full-powers fields only for an accordo, and the
renewal's confirmation. The browser side is in tests/records/test_forms_browser.py."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from agreements.common.errors import ServiceError
from agreements.models import AgreementKind, AuditEvent, CounterpartType, Signatory, Status
from agreements.procedure.services import observations_record
from agreements.records.services import agreement_update, fixed_fields
from tests.support.factories import CounterpartFactory
from tests.support.lifecycle import complete, task_of
from tests.workflows import test_lifecycle as lc

clock = lc.clock


def edit_data(agreement, **changes) -> dict:
    """The edit form as the page posts it, with `changes`."""
    data = {"title": agreement.title, "counterpart": agreement.counterpart_id,
            "dgs": list(agreement.dgs.values_list("pk", flat=True)), "languages": ", ".join(agreement.languages),
            "authentic_languages": ", ".join(agreement.authentic_languages), "renewal_clause": agreement.renewal_clause,
            "consultation_days": str(agreement.consultation_days), "version": str(agreement.version),
            "duration_months": str(agreement.duration_months or ""), "binding": "on" if agreement.binding else ""}
    if agreement.director_id:
        data["director"] = agreement.director_id
    data.update(changes)
    return data


def test_title_and_counterpart_locked_after_the_giunta_until_the_text_goes_back(
    clock, client, drafter, director, secretariat
):
    # given an Intesa whose draft the Giunta approved (DGR 57/2026)
    agreement = lc.propose(drafter, director)
    lc.through_giunta(agreement, drafter, director, secretariat, [])
    agreement.refresh_from_db()
    assert agreement.status == Status.NOTIFICATION and fixed_fields(agreement) == ("title", "counterpart")
    client.force_login(drafter)
    url = reverse("agreements:edit", args=[agreement.reference])
    page = client.get(url).content.decode()
    # then the page shows them disabled, saying why
    assert re.search(r'<input[^>]*name="title"[^>]*disabled', page)
    assert re.search(r'<select[^>]*name="counterpart"[^>]*disabled', page)
    assert "Fissato dalla delibera di Giunta" in page
    # when a crafted POST changes them (and the notes): the posted title and counterpart are ignored
    other = CounterpartFactory(name="Baviera")
    response = client.post(url, edit_data(agreement, title="Titolo cambiato", counterpart=other.pk, notes="Nota"))
    assert response.status_code == 302
    agreement.refresh_from_db()
    assert agreement.title == "Intesa con la Nouvelle-Aquitaine" and agreement.counterpart_id != other.pk
    assert agreement.notes == "Nota"
    # and the service refuses them from anywhere else, writing nothing
    events = AuditEvent.objects.count()
    for change in ({"title": "Titolo cambiato"}, {"counterpart": other}):
        with pytest.raises(ServiceError, match="fissati dalla delibera di Giunta"):
            agreement_update(agreement=agreement, actor=drafter, expected_version=agreement.version, **change)
    agreement.refresh_from_db()
    assert agreement.title == "Intesa con la Nouvelle-Aquitaine" and AuditEvent.objects.count() == events
    # an unchanged title passes (the page posts it back as it is)
    agreement_update(agreement=agreement, actor=drafter, expected_version=agreement.version,
                     title=agreement.title, notes="Altra nota")

    # when the government's observations send the text back to negotiation, they open again
    lc.notices(agreement, secretariat)
    complete(agreement, "record_observations", secretariat, outcome="observations", date=timezone.localdate(),
             text="Riformulare il titolo.")
    agreement = complete(agreement, "report_outcome", secretariat, date=timezone.localdate(), protocol="AL/9")
    assert agreement.status == Status.NEGOTIATION and fixed_fields(agreement) == ()
    assert 'disabled' not in re.search(r'<input[^>]*name="title"[^>]*>', client.get(url).content.decode()).group(0)
    response = client.post(url, edit_data(agreement, title="Intesa rivista", counterpart=other.pk))
    assert response.status_code == 302
    agreement.refresh_from_db()
    assert agreement.title == "Intesa rivista" and agreement.counterpart_id == other.pk


def test_full_powers_fields_only_for_an_accordo(clock, client, drafter, director, secretariat):
    # given an intesa and an accordo with a State, both waiting for the government's answer
    intesa = lc.propose(drafter, director)
    lc.through_giunta(intesa, drafter, director, secretariat, [])
    lc.notices(intesa, secretariat)
    state = CounterpartFactory(name="Repubblica di Moldova", country="Moldova", type=CounterpartType.STATE)
    accordo = lc.propose(drafter, director, kind=AgreementKind.ACCORDO, counterpart=state)
    lc.through_giunta(accordo, drafter, director, secretariat, [])
    lc.notices(accordo, secretariat)
    client.force_login(secretariat)

    def step_page(agreement):
        task = task_of(agreement, "record_observations")
        return client.get(reverse("task_page", args=[task.pk]), follow=True).content.decode()

    # then the step's form and the agreement's page show full powers for the accordo only
    assert 'name="full_powers_date"' in step_page(accordo) and 'name="full_powers_protocol"' in step_page(accordo)
    assert "full_powers" not in step_page(intesa)
    detail = client.get(reverse("agreements:detail", args=[accordo.reference])).content.decode()
    assert 'id="full-powers"' in detail and "non ancora registrati" in detail
    assert 'id="full-powers"' not in client.get(reverse("agreements:detail", args=[intesa.reference])).content.decode()
    # when full powers are posted for the intesa, the form ignores them
    intesa = complete(intesa, "record_observations", secretariat, outcome="nulla_osta", date=timezone.localdate(),
                      text="", full_powers_date=timezone.localdate(), full_powers_protocol="MAECI/1")
    assert intesa.observations_outcome == "nulla_osta"
    assert intesa.full_powers_date is None and intesa.full_powers_protocol == ""
    # and the service refuses them, writing nothing
    other = lc.propose(drafter, director)
    lc.through_giunta(other, drafter, director, secretariat, [])
    lc.notices(other, secretariat)
    events = AuditEvent.objects.filter(agreement=other).count()
    with pytest.raises(ServiceError, match="solo per un accordo"):
        observations_record(agreement=other, actor=secretariat, outcome="nulla_osta", date=timezone.localdate(),
                            full_powers_date=timezone.localdate(), full_powers_protocol="MAECI/2")
    other.refresh_from_db()
    assert other.observations_outcome == "" and AuditEvent.objects.filter(agreement=other).count() == events
    # for the accordo they are recorded
    accordo = complete(accordo, "record_observations", secretariat, outcome="nulla_osta", date=timezone.localdate(),
                       text="", full_powers_date=timezone.localdate(), full_powers_protocol="MAECI/77")
    assert accordo.full_powers_protocol == "MAECI/77"


def test_signatories_several_rows_added_and_removed_in_one_save(client, drafter, director):
    agreement = lc.wf.proposal_start(actor=drafter, title="Intesa con l'Occitanie", kind=AgreementKind.INTESA,
                                     counterpart=CounterpartFactory(name="Occitanie"), director=director)
    Signatory.objects.create(agreement=agreement, side="region", name="Da togliere", role="Assessore", order=0)
    client.force_login(drafter)
    url = reverse("agreements:signatories", args=[agreement.reference])
    page = client.get(url).content.decode()
    # the page carries the empty row to clone and the shared script
    assert "data-formset-empty" in page and "signatories-__prefix__-name" in page and "js/formset.js" in page
    data = {"signatories-TOTAL_FORMS": "4", "signatories-INITIAL_FORMS": "1",
            "signatories-0-side": "region", "signatories-0-name": "Da togliere", "signatories-0-role": "Assessore",
            "signatories-0-DELETE": "on",
            "signatories-1-side": "region", "signatories-1-name": "Michele de Pascale",
            "signatories-1-role": "Presidente",
            "signatories-2-side": "counterpart", "signatories-2-name": "Carole Delga",
            "signatories-2-role": "Présidente",
            # a removed new row with an error does not stop the save
            "signatories-3-side": "counterpart", "signatories-3-name": "", "signatories-3-role": "",
            "signatories-3-DELETE": "on"}
    assert client.post(url, data).status_code == 302
    rows = list(agreement.signatories.order_by("order").values_list("name", "side", "order"))
    assert rows == [("Michele de Pascale", "region", 0), ("Carole Delga", "counterpart", 1)]
    assert AuditEvent.objects.filter(agreement=agreement, action="signatories_replace").count() == 1
    # an error stays next to its field, in the site's error style, and nothing is written
    data.update({"signatories-1-name": ""})
    response = client.post(url, data)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'class="errorlist" id="id_signatories-1-name_error"' in html
    assert re.search(r'<input[^>]*name="signatories-1-name"[^>]*aria-invalid="true"', html)
    assert AuditEvent.objects.filter(agreement=agreement, action="signatories_replace").count() == 1
