"""The agreement page and the forms behind its buttons: all through services, 404 for what one may not see."""

import datetime
import re
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agreements.models import (
    Agreement,
    AgreementKind,
    Article,
    AuditEvent,
    Counterpart,
    OpinionKind,
    Signatory,
    Status,
)
from agreements.records.selectors import agreement_timeline
from agreements.records.services import agreement_update
from tests.support.factories import AgreementFactory, CounterpartFactory, InForceAgreementFactory
from tests.support.lifecycle import complete, through_start
from workflows import services as wf

pytestmark = pytest.mark.django_db
START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def page_url(agreement):
    return reverse("agreements:detail", args=[agreement.reference])


def text(response) -> str:
    """The page's text without tags and with spaces collapsed, to assert on what a reader sees."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


@pytest.fixture
def proposal(clock, drafter, director, dg_agri, referent_agri):
    """A proposal past the initial informativa to the Assembly, at the negotiation."""
    return through_start(wf.proposal_start(
        actor=drafter, title="Intesa con la Nouvelle-Aquitaine", kind=AgreementKind.INTESA,
        counterpart=CounterpartFactory(name="Région Nouvelle-Aquitaine"), dgs=[dg_agri], director=director,
        duration_months=36,
    ), director)


def test_page_needs_login_and_hides_other_dgs_agreements(client, proposal, referent_crli, referent_agri):
    assert client.get(page_url(proposal)).status_code == 302
    client.force_login(referent_crli)
    hidden = client.get(page_url(proposal))
    assert hidden.status_code == 404
    assert "Pagina non trovata" in text(hidden) and "Aquitaine" not in text(hidden)
    for name in ("edit", "articles", "signatories", "close", "renewal_decline"):
        assert client.get(reverse(f"agreements:{name}", args=[proposal.reference])).status_code == 404
    assert client.post(reverse("agreements:renewal_start", args=[proposal.reference]),
                       {"confirm": "1"}).status_code == 404
    client.force_login(referent_agri)
    assert client.get(page_url(proposal)).status_code == 200


def test_page_shows_the_current_step_its_holder_and_the_timeline(client, proposal, drafter):
    client.force_login(drafter)
    response = client.get(page_url(proposal))
    page = text(response)
    assert "INT-2026-001" in page
    assert "Negoziazione testo" in page
    assert "redattore" in page  # the holder of the negotiation task
    content = response.content.decode()
    # The drafter may act: the task links to its step page.
    assert re.search(r'href="/attivita/\d+/"', content)
    assert 'aria-current="step"' in content
    # Links to Viewflow's console for the Gabinetto roles.
    assert re.search(r'href="/workflow/agreement/\d+/"', content)
    assert re.search(r'href="/workflow/agreement/\d+/chart/"', content)


def test_referent_sees_consultation_with_due_date_and_no_console_link(
    client, proposal, drafter, referent_agri, dg_agri
):
    complete(proposal, "negotiate", drafter, confirm=True)
    client.force_login(referent_agri)
    response = client.get(page_url(proposal))
    page = text(response)
    assert "Consultazione DG" in page
    assert "DG AGRI" in page
    assert "In attesa" in page  # the pending opinion
    assert "17/03/2026" in page  # 15 days from 02/03/2026
    assert "/workflow/" not in response.content.decode()
    assert re.search(r'href="/attivita/\d+/"', response.content.decode())  # the referent's own task


def test_page_shows_opinions_parties_signatories_articles_and_audit(client, proposal, drafter, referent_agri, dg_agri):
    complete(proposal, "negotiate", drafter, confirm=True)
    complete(proposal, "consult_dg", referent_agri, dg=dg_agri, kind=OpinionKind.FAVOURABLE_REMARKS,
             notes="Citare il programma Interreg.")
    Signatory.objects.create(agreement=proposal, side="region", name="Michele de Pascale", role="Presidente")
    Signatory.objects.create(agreement=proposal, side="counterpart", name="Alain Rousset", role="Président")
    Article.objects.filter(agreement=proposal).delete()  # the first draft from the clause library
    Article.objects.create(agreement=proposal, number=1, heading_it="Oggetto", text_it="Le Parti cooperano.",
                           translations={"fr": {"heading": "Objet", "text": "Les Parties coopèrent."}})
    client.force_login(drafter)
    page = text(client.get(page_url(proposal)))
    assert "Favorevole con osservazioni" in page and "Citare il programma Interreg." in page
    assert "Michele de Pascale, Presidente" in page and "Alain Rousset, Président" in page
    assert "Les Parties coopèrent." in page
    # The history in words (agreements/history): who did what, with the opinion's label.
    assert f"redattore ha creato la proposta {proposal.reference}." in page
    assert "ha espresso il parere della DG AGRI: Favorevole con osservazioni." in page
    assert "Approvazione dirigente" in page


def test_timeline_of_an_agreement_in_force_ends_with_its_expiry():
    agreement = InForceAgreementFactory.build(
        created_at=datetime.datetime(2022, 1, 10, tzinfo=datetime.UTC), approved_on=datetime.date(2022, 2, 1),
        dgr_number="512/2022", dgr_date=datetime.date(2022, 3, 28), published_on=datetime.date(2022, 5, 2),
        ratification_date=datetime.date(2022, 4, 27), renewal_clause="tacit", renewal_notice_days=90,
    )
    steps = agreement_timeline(agreement)
    assert [s.key for s in steps] == [
        "proposal", "assembly_info", "negotiation", "approval", "giunta", "notification", "assembly_transmission",
        "observations", "outcome_report", "assembly_observations", "final_approval", "signature", "ratification",
        "in_force", "publication", "end",
    ]
    assert {s.state for s in steps[:-1]} == {"done"}
    end = steps[-1]
    assert end.state == "current" and end.due == datetime.date(2025, 4, 27)
    assert end.note == "Disdetta entro il 27/01/2025"
    assert steps[4].date == datetime.date(2022, 3, 28) and steps[4].note == "DGR 512/2022"
    assert steps[4].rule.citation == "L.R. 16/2008, art. 17 c. 2"


def test_timeline_of_an_agreement_imported_in_force_has_nothing_left_but_its_end():
    agreement = InForceAgreementFactory.build(created_at=datetime.datetime(2022, 1, 10, tzinfo=datetime.UTC))
    steps = {s.key: s for s in agreement_timeline(agreement)}
    assert steps["publication"].state == "done" and steps["end"].state == "current"


def test_timeline_of_a_ratified_intesa_not_yet_published_is_in_force_and_publishing():
    agreement = InForceAgreementFactory.build(created_at=datetime.datetime(2022, 1, 10, tzinfo=datetime.UTC),
                                              ratification_date=datetime.date(2022, 4, 27))
    steps = {s.key: s for s in agreement_timeline(agreement)}
    assert steps["in_force"].state == "done" and steps["publication"].state == "current"
    assert steps["end"].state == "next"


def test_timeline_of_a_non_binding_memorandum_skips_giunta_and_ratification():
    agreement = AgreementFactory.build(kind=AgreementKind.MEMORANDUM, binding=False, status=Status.SIGNATURE,
                                       created_at=datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC))
    steps = agreement_timeline(agreement)
    keys = [s.key for s in steps]
    assert "giunta" not in keys and "ratification" not in keys and "publication" not in keys
    assert [s.state for s in steps if s.key in ("qualification", "approval", "signature", "in_force")] == [
        "done", "done", "current", "next"]


def test_timeline_of_a_withdrawn_agreement_shows_where_it_stopped():
    agreement = AgreementFactory.build(
        status=Status.WITHDRAWN, closed_reason="La controparte ha rinunciato.",
        text_agreed_on=datetime.date(2024, 2, 1), created_at=datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC),
        assembly_informed_on=datetime.date(2024, 1, 2),
    )
    steps = {s.key: s for s in agreement_timeline(agreement)}
    assert steps["approval"].state == "stopped"
    assert "La controparte ha rinunciato." in steps["approval"].note
    assert steps["signature"].state == "skipped"


def test_timeline_during_the_30_day_wait_gives_its_last_day():
    agreement = AgreementFactory.build(
        status=Status.OBSERVATIONS, notice_government_date=datetime.date(2026, 3, 2),
        notice_assembly_date=datetime.date(2026, 3, 3), created_at=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC),
    )
    steps = {s.key: s for s in agreement_timeline(agreement)}
    assert steps["notification"].date == datetime.date(2026, 3, 2)
    assert steps["assembly_transmission"].date == datetime.date(2026, 3, 3)
    assert steps["observations"].state == "current" and steps["observations"].due == datetime.date(2026, 4, 1)
    # No receipt recorded: counted from the sending date, and the page says it is an assumption.
    assert "ipotesi" in steps["observations"].note


# --- Forms --------------------------------------------------------------------------------------------------


def edit_data(agreement, **changes):
    data = {
        "title": agreement.title, "counterpart": agreement.counterpart_id, "languages": "it, fr",
        "renewal_clause": agreement.renewal_clause, "consultation_days": agreement.consultation_days,
        "duration_months": agreement.duration_months or "", "version": agreement.version,
        "dgs": [dg.pk for dg in agreement.dgs.all()],
    }
    if agreement.director_id:
        data["director"] = agreement.director_id
    data.update(changes)
    return data


def test_edit_goes_through_the_service_with_an_audit_event(client, proposal, drafter):
    client.force_login(drafter)
    form_page = client.get(reverse("agreements:edit", args=[proposal.reference]))
    assert f'name="version" value="{proposal.version}"' in form_page.content.decode()
    response = client.post(reverse("agreements:edit", args=[proposal.reference]),
                           edit_data(proposal, title="Intesa con la Regione Nouvelle-Aquitaine"))
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.title == "Intesa con la Regione Nouvelle-Aquitaine"
    event = AuditEvent.objects.filter(agreement=proposal, action="agreement_update").get()
    assert event.actor == drafter and event.changes["title"][1] == "Intesa con la Regione Nouvelle-Aquitaine"


def test_edit_with_a_stale_version_is_refused_and_changes_nothing(client, proposal, drafter):
    client.force_login(drafter)
    loaded = proposal.version
    agreement_update(agreement=proposal, actor=drafter, expected_version=loaded, notes="Nel frattempo")
    proposal.refresh_from_db()
    response = client.post(reverse("agreements:edit", args=[proposal.reference]),
                           edit_data(proposal, title="Titolo mio", version=loaded))
    assert response.status_code == 200
    assert "modificato da un altro utente" in text(response)
    assert 'role="alert"' in response.content.decode()
    proposal.refresh_from_db()
    assert proposal.title == "Intesa con la Nouvelle-Aquitaine"


def test_edit_field_errors_are_linked_to_their_field(client, proposal, drafter):
    client.force_login(drafter)
    response = client.post(reverse("agreements:edit", args=[proposal.reference]),
                           edit_data(proposal, title="", languages="it, xx"))
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_title_error"' in page and 'aria-describedby="id_title_error"' in page
    assert "Codice di lingua sconosciuto: xx" in page
    assert not AuditEvent.objects.filter(agreement=proposal, action="agreement_update").exists()


def test_articles_editor_saves_both_languages_and_refuses_duplicate_numbers(client, proposal, drafter):
    client.force_login(drafter)
    url = reverse("agreements:articles", args=[proposal.reference])
    assert client.get(url).status_code == 200

    def rows(*articles):
        data = {"articles-TOTAL_FORMS": len(articles), "articles-INITIAL_FORMS": 0}
        for i, (number, heading) in enumerate(articles):
            data.update({f"articles-{i}-number": number, f"articles-{i}-heading_it": heading,
                         f"articles-{i}-text_it": f"Testo {heading}", f"articles-{i}-heading_fr": f"{heading} (fr)",
                         f"articles-{i}-text_fr": f"Texte {heading}"})
        return data

    drafted = list(Article.objects.filter(agreement=proposal).values_list("number", "heading_it"))
    assert len(drafted) == 9  # the first draft from the clause library
    refused = client.post(url, rows((1, "Oggetto"), (1, "Durata")))
    assert refused.status_code == 200 and "Due articoli hanno lo stesso numero." in text(refused)
    assert list(Article.objects.filter(agreement=proposal).values_list("number", "heading_it")) == drafted

    assert client.post(url, rows((1, "Oggetto"), (2, "Durata"))).status_code == 302
    assert [(a.number, a.heading("fr"), a.text("fr")) for a in Article.objects.filter(agreement=proposal)] == [
        (1, "Oggetto (fr)", "Texte Oggetto"), (2, "Durata (fr)", "Texte Durata")
    ]


def test_signatories_editor(client, proposal, drafter):
    client.force_login(drafter)
    url = reverse("agreements:signatories", args=[proposal.reference])
    data = {"signatories-TOTAL_FORMS": 3, "signatories-INITIAL_FORMS": 0,
            "signatories-0-side": "region", "signatories-0-name": "Michele de Pascale",
            "signatories-0-role": "Presidente",
            "signatories-1-side": "counterpart", "signatories-1-name": "Alain Rousset",
            "signatories-1-role": "Président"}
    assert client.post(url, data).status_code == 302
    assert list(proposal.signatories.values_list("side", "name")) == [
        ("counterpart", "Alain Rousset"), ("region", "Michele de Pascale")
    ]
    assert AuditEvent.objects.filter(agreement=proposal, action="signatories_replace", actor=drafter).count() == 1


def test_only_a_director_closes_an_agreement_with_a_reason(client, proposal, drafter, director):
    url = reverse("agreements:close", args=[proposal.reference])
    client.force_login(drafter)
    refused = client.post(url, {"closure": "withdraw", "reason": "Rinuncia"})
    assert refused.status_code == 403  # the form opens only for directors; the service refuses too
    proposal.refresh_from_db()
    assert proposal.status == Status.NEGOTIATION

    client.force_login(director)
    missing = client.post(url, {"closure": "withdraw", "reason": ""})
    assert 'id="id_reason_error"' in missing.content.decode()
    assert client.post(url, {"closure": "withdraw", "reason": "La controparte ha rinunciato."}).status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == Status.WITHDRAWN and proposal.closed_reason == "La controparte ha rinunciato."
    assert AuditEvent.objects.get(agreement=proposal, action="agreement_withdraw").actor == director
    page = text(client.get(page_url(proposal)))
    assert "Ritirata" in page and "interrotto" in page


def test_renewal_start_and_decline_from_an_agreement_in_force(client, clock, drafter, director):
    old = InForceAgreementFactory(reference="INT-2022-001", title="Intesa con la Nouvelle-Aquitaine",
                                  end_date=datetime.date(2026, 9, 30), drafted_by=drafter)
    client.force_login(director)
    response = client.post(reverse("agreements:renewal_decline", args=[old.reference]),
                           {"reason": "Obiettivi raggiunti"})
    assert response.status_code == 302
    old.refresh_from_db()
    assert old.no_renewal_decided_on == datetime.date(2026, 3, 2)

    client.force_login(drafter)
    # The button asks for confirmation first: the page says what a renewal is, and nothing is created.
    confirm = client.get(reverse("agreements:renewal_start", args=[old.reference]))
    assert "ripercorre l'intera procedura" in text(confirm) and 'name="confirm"' in confirm.content.decode()
    assert client.post(reverse("agreements:renewal_start", args=[old.reference])).status_code == 200
    assert not Agreement.objects.filter(renews=old).exists()
    response = client.post(reverse("agreements:renewal_start", args=[old.reference]), {"confirm": "1"})
    renewal = Agreement.objects.get(renews=old)
    assert response["Location"] == page_url(renewal)
    page = text(client.get(page_url(renewal)))
    assert "Catena dei rinnovi" in page and "INT-2022-001" in page
    # A second start is refused with the service's message, nothing created.
    assert AuditEvent.objects.filter(agreement=renewal, action="renewal_create", actor=drafter).count() == 1
    assert AuditEvent.objects.filter(action="renewal_create").count() == 1
    history = text(client.get(reverse("history:page", args=[renewal.reference])))
    assert f"ha avviato il rinnovo {renewal.reference}" in history
    response = client.post(reverse("agreements:renewal_start", args=[old.reference]), {"confirm": "1"}, follow=True)
    assert "già stato avviato" in text(response)
    assert Agreement.objects.filter(renews=old).count() == 1


def _page_queries(client, agreement) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(page_url(agreement))
    assert response.status_code == 200
    return len(ctx.captured_queries)


# A session; the user (with roles, DG, unread count); the agreement; its opinions, signatories, open tasks, DGs,
# plan actions, activities, other counterparts, articles, renewals, history and what came back to negotiation, sent
# reminders, documents; and either the console's links (drafter: the Gabinetto sees them) or whether the referent
# deputises the task's holder. No reminder policy (a proposal has no reminder to come).
AGREEMENT_PAGE_QUERIES = 17


def _bulk(counterpart, start, count):
    """Other agreements in force, many of them, written at once."""
    Agreement.objects.bulk_create(
        Agreement(reference=f"BLK-{n:06d}", title=f"Accordo {n}", kind=AgreementKind.INTESA,
                  counterpart=counterpart, status=Status.IN_FORCE)
        for n in range(start, start + count)
    )


@pytest.mark.parametrize("who", ["drafter", "referent_agri"])
def test_page_runs_in_the_same_number_of_queries_with_10_and_10000_agreements(client, request, proposal, who):
    client.force_login(request.getfixturevalue(who))
    counterpart = Counterpart.objects.create(name="Altra controparte", country="Spagna", type="region")
    _bulk(counterpart, 0, 10)
    small = _page_queries(client, proposal)
    _bulk(counterpart, 10, 10_000)
    assert _page_queries(client, proposal) == small == AGREEMENT_PAGE_QUERIES


# An agreement in force can have reminders to come: the page also reads the reminder policy and whether its
# renewal has started (no open task, no console links).
IN_FORCE_PAGE_QUERIES = AGREEMENT_PAGE_QUERIES + 2


def test_in_force_page_runs_in_the_same_number_of_queries_with_10_and_10000_agreements(client, drafter, dg_agri):
    client.force_login(drafter)
    counterpart = CounterpartFactory(name="Région Nouvelle-Aquitaine")
    in_force = InForceAgreementFactory(counterpart=counterpart, dgs=[dg_agri],
                                       end_date=datetime.date.today() + datetime.timedelta(days=400))
    _bulk(counterpart, 0, 10)
    small = _page_queries(client, in_force)
    _bulk(counterpart, 10, 10_000)
    assert _page_queries(client, in_force) == small == IN_FORCE_PAGE_QUERIES


def proposal_data(counterpart, **changes):
    data = {"kind": "intesa", "title": "Intesa con la Pennsylvania", "counterpart": counterpart.pk,
            "languages": "it, en", "renewal_clause": "express", "consultation_days": 15, "duration_months": 60}
    data.update(changes)
    return data


def test_new_proposal_starts_the_procedure_with_the_initial_informativa_to_the_assembly(client, clock, drafter,
                                                                                          director, dg_agri,
                                                                                          referent_agri):
    counterpart = CounterpartFactory(name="Commonwealth of Pennsylvania", country="Stati Uniti d'America")
    client.force_login(drafter)
    assert client.get(reverse("agreements:create")).status_code == 200
    response = client.post(reverse("agreements:create"),
                           proposal_data(counterpart, dgs=[dg_agri.pk], director=director.pk))
    agreement = Agreement.objects.get(title="Intesa con la Pennsylvania")
    assert response["Location"] == page_url(agreement)
    assert agreement.reference == "INT-2026-001" and agreement.drafted_by == drafter
    assert agreement.languages == ["it", "en"] and agreement.authentic_languages == ["it", "en"]
    assert list(agreement.dgs.all()) == [dg_agri]
    # Statuto art. 13 c. 2: an intesa's procedure opens with the informativa to the Assembly, then the negotiation.
    assert [t.flow_task.name for t in agreement.processes.get().task_set.filter(flow_task_type="HUMAN")] == [
        "inform_assembly_start"
    ]
    assert "Proposta INT-2026-001 creata." in text(client.get(page_url(agreement)))


def test_a_refused_proposal_shows_why_and_creates_nothing(client, clock, drafter, referent_agri):
    counterpart = CounterpartFactory()
    client.force_login(drafter)
    response = client.post(reverse("agreements:create"), proposal_data(counterpart, renewal_clause="tacit"))
    assert response.status_code == 200
    assert "Per il rinnovo tacito indicare i giorni di preavviso" in text(response)
    assert 'class="form-errors" role="alert"' in response.content.decode()

    client.force_login(referent_agri)
    response = client.post(reverse("agreements:create"), proposal_data(counterpart))
    assert "Non hai il ruolo necessario" in text(response)
    assert not Agreement.objects.exists()


def test_proposal_form_errors_are_next_to_their_fields(client, drafter):
    client.force_login(drafter)
    response = client.post(reverse("agreements:create"), {"kind": "trattato", "title": "", "languages": "it"})
    page = response.content.decode()
    for name in ("kind", "title", "counterpart"):
        assert f'id="id_{name}_error"' in page
        control = re.search(rf'<(?:input|select)[^>]*\bid="id_{name}"[^>]*>', page).group(0)
        described_by = re.search(r'aria-describedby="([^"]*)"', control).group(1).split()
        assert f"id_{name}_error" in described_by and 'aria-invalid="true"' in control
    assert not Agreement.objects.exists()


def test_page_lists_document_versions_and_reminders(client, proposal, drafter):
    from django.core.files.base import ContentFile

    from agreements.models import DocumentVersion, Reminder

    DocumentVersion.objects.create(
        agreement=proposal, doc_type="testo_revisionato", number=1, source="uploaded",
        file=ContentFile(b"docx", name="testo.docx"), filename="testo-rivisto.docx",
        content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        sha256="ab" * 32, size=4, step="negotiation", author=drafter,
    )
    Reminder.objects.create(agreement=proposal, kind="consultation_deadline", threshold=3,
                            due_date=datetime.date(2026, 3, 14), deadline=datetime.date(2026, 3, 17))
    client.force_login(drafter)
    page = text(client.get(page_url(proposal)))
    assert "Testo revisionato (caricato)" in page and "testo-rivisto.docx" in page
    assert "Scadenza parere DG" in page and "14/03/2026" in page


def test_amounts_phases_and_local_names_read_as_the_office_writes_them(client, drafter):
    from agreements.templatetags.intese import euro, status_label

    assert euro(Decimal("15000")) == "15.000,00 €"
    assert status_label("negotiation") == "Negoziazione testo"
    agreement = InForceAgreementFactory(estimated_cost=Decimal("15000"))
    agreement.counterpart.name_local = agreement.counterpart.name
    agreement.counterpart.save()
    client.force_login(drafter)
    page = client.get(f"/accordi/{agreement.reference}/").content.decode()
    assert "15.000,00 €" in page
    assert f"{agreement.counterpart.name} ({agreement.counterpart.name})" not in page
