"""The history in words and the context on task pages: sentences with full names, dates and Europe/Rome times,
labels instead of codes and names instead of ids; a filter by kind; CSV; constant queries as events and rounds
grow; the approval page shows the text and opinions, the negotiation after a send-back what came back."""

import csv
import datetime
import io
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agreements.history.selectors import EventKind, history
from agreements.models import AgreementKind, Article, OpinionKind
from agreements.procedure.services import Decision
from tests.support.factories import CounterpartFactory
from tests.support.lifecycle import complete, task_of, through_start
from workflows import services as wf

pytestmark = pytest.mark.django_db
START = datetime.datetime(2025, 4, 27, 7, 30, tzinfo=datetime.UTC)  # 09:30 in Rome (summer time)
RAW = re.compile(r"\b(agreement_[a-z_]+|text_mark_agreed|opinion_give|consultation_close|document_generate|"
                 r"pdf_convert|negotiation|consultation|approval|favourable|send_back)\b")


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def named(drafter, director, referent_agri):
    for user, first, last in ((drafter, "Giulia", "Neri"), (director, "Marco", "Bassi"),
                              (referent_agri, "Anna", "Verdi")):
        user.first_name, user.last_name = first, last
        user.save()


def propose(drafter, director, dgs):
    agreement = through_start(wf.proposal_start(
        actor=drafter, title="Intesa con la Nouvelle-Aquitaine", kind=AgreementKind.INTESA,
        counterpart=CounterpartFactory(name="Région Nouvelle-Aquitaine"), dgs=list(dgs), director=director,
        duration_months=36,
    ), director)
    Article.objects.filter(agreement=agreement).delete()  # the first draft from the clause library
    Article.objects.create(agreement=agreement, number=1, heading_it="Oggetto", text_it="Cooperazione agricola.",
                           translations={"fr": {"heading": "Objet", "text": "Coopération agricole."}})
    return agreement


def rounds(agreement, drafter, director, dg, referent, n):
    """n consultation rounds, each ending with the director sending the text back."""
    for i in range(n):
        complete(agreement, "negotiate", drafter, confirm=True)
        complete(agreement, "consult_dg", referent, dg=dg, kind=OpinionKind.FAVOURABLE_REMARKS,
                 notes=f"Nota del turno {i + 1}.")
        complete(agreement, "approve", director, decision=Decision.SEND_BACK, remarks=f"Rivedere l'art. {i + 1}.")


def test_history_reads_as_sentences_with_names_dates_and_labels(clock, client, named, drafter, director, dg_agri,
                                                                 referent_agri):
    agreement = propose(drafter, director, [dg_agri])
    rounds(agreement, drafter, director, dg_agri, referent_agri, 1)
    lines = history(agreement)
    sentences = [line.sentence for line in lines]
    assert "Marco Bassi ha rinviato il testo alla negoziazione." in sentences
    assert "Anna Verdi ha espresso il parere della DG AGRI: Favorevole con osservazioni." in sentences
    assert f"Giulia Neri ha creato la proposta {agreement.reference}." in sentences
    assert lines[-1].date == "27/04/2025" and lines[-1].time == "09:30"
    changes = [c for line in lines for c in line.changes]
    assert ("stato", "Approvazione dirigente", "Negoziazione testo") in changes

    client.force_login(director)
    page = client.get(f"/storico/{agreement.reference}/").content.decode()
    main = re.sub(r"<[^>]+>", " ", page.split('<main id="content"', 1)[1])  # what a person reads
    assert "Marco Bassi ha rinviato il testo alla negoziazione." in main
    assert "Rivedere l&#x27;art. 1." in main
    assert not RAW.findall(main), RAW.findall(main)
    assert "2025-04-27" not in main  # no ISO dates

    # A filter by kind: the DG opinions only.
    only = client.get(f"/storico/{agreement.reference}/?tipo={EventKind.OPINIONS}").content.decode()
    assert "ha espresso il parere" in only and "ha rinviato il testo" not in only

    # The CSV for the dossier: oldest first, the same sentences.
    response = client.get(f"/storico/{agreement.reference}/storico.csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:5] == ["Data", "Ora", "Chi", "Tipo", "Evento"]
    assert rows[1][4] == f"Giulia Neri ha creato la proposta {agreement.reference}."
    assert any(row[4] == "Marco Bassi ha rinviato il testo alla negoziazione." and row[0] == "27/04/2025"
               for row in rows)


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_history_and_task_pages_cost_the_same_queries_as_rounds_and_events_grow(
    clock, client, named, drafter, director, dg_agri, referent_agri
):
    agreement = propose(drafter, director, [dg_agri])
    client.force_login(director)
    rounds(agreement, drafter, director, dg_agri, referent_agri, 1)
    complete(agreement, "negotiate", drafter, confirm=True)
    complete(agreement, "consult_dg", referent_agri, dg=dg_agri, kind=OpinionKind.FAVOURABLE, notes="")
    url = f"/attivita/{task_of(agreement, 'approve').pk}/"
    few_task, few_history = _queries(client, url), _queries(client, f"/storico/{agreement.reference}/")
    complete(agreement, "approve", director, decision=Decision.SEND_BACK, remarks="Ancora.")
    rounds(agreement, drafter, director, dg_agri, referent_agri, 3)
    complete(agreement, "negotiate", drafter, confirm=True)
    complete(agreement, "consult_dg", referent_agri, dg=dg_agri, kind=OpinionKind.FAVOURABLE, notes="")
    url = f"/attivita/{task_of(agreement, 'approve').pk}/"
    assert _queries(client, url) == few_task
    assert _queries(client, f"/storico/{agreement.reference}/") == few_history


def test_the_approval_page_shows_the_text_the_opinions_and_earlier_remarks(
    clock, client, named, drafter, director, dg_agri, referent_agri
):
    agreement = propose(drafter, director, [dg_agri])
    rounds(agreement, drafter, director, dg_agri, referent_agri, 1)
    complete(agreement, "negotiate", drafter, confirm=True)
    complete(agreement, "consult_dg", referent_agri, dg=dg_agri, kind=OpinionKind.FAVOURABLE, notes="")
    client.force_login(director)
    page = client.get(f"/attivita/{task_of(agreement, 'approve').pk}/").content.decode()
    assert "Cooperazione agricola." in page and "Coopération agricole." in page
    assert "Turno 2" in page and "Turno 1" in page and "Nota del turno 1." in page
    assert "Rivedere l&#x27;art. 1." in page  # the director's own earlier remarks


def test_the_negotiation_after_a_send_back_opens_with_what_came_back(
    clock, client, named, drafter, director, dg_agri, referent_agri
):
    agreement = propose(drafter, director, [dg_agri])
    rounds(agreement, drafter, director, dg_agri, referent_agri, 1)
    client.force_login(drafter)
    page = client.get(f"/attivita/{task_of(agreement, 'negotiate').pk}/").content.decode()
    back = page.split('id="h-sent-back"', 1)[1].split("</section>", 1)[0]
    assert "Rinviato dal dirigente" in back and "Marco Bassi" in back and "Rivedere l&#x27;art. 1." in back
    assert page.index('id="h-sent-back"') < page.index("<form method=\"post\" novalidate>")


def test_an_unfavourable_opinion_comes_back_with_the_dg_and_its_notes(
    clock, client, named, drafter, director, dg_agri, referent_agri
):
    agreement = propose(drafter, director, [dg_agri])
    complete(agreement, "negotiate", drafter, confirm=True)
    complete(agreement, "consult_dg", referent_agri, dg=dg_agri, kind=OpinionKind.UNFAVOURABLE,
             notes="Art. 5 in contrasto con il PSR.")
    client.force_login(drafter)
    page = client.get(f"/attivita/{task_of(agreement, 'negotiate').pk}/").content.decode()
    back = page.split('id="h-sent-back"', 1)[1].split("</section>", 1)[0]
    assert "DG AGRI (Anna Verdi)" in back and "Art. 5 in contrasto con il PSR." in back


def test_an_approval_names_the_director_not_their_id(clock, named, drafter, director):
    agreement = propose(drafter, director, [])
    complete(agreement, "negotiate", drafter, confirm=True)
    complete(agreement, "approve", director, decision=Decision.APPROVE, remarks="")
    [approval] = [line for line in history(agreement) if line.sentence == "Marco Bassi ha approvato il testo."]
    assert ("approvato da", "—", "Marco Bassi") in approval.changes
    assert ("approvato il", "—", "27/04/2025") in approval.changes


def test_the_agreement_page_opens_with_what_came_back_while_in_negotiation(
    clock, client, named, drafter, director, dg_agri, referent_agri
):
    agreement = propose(drafter, director, [dg_agri])
    rounds(agreement, drafter, director, dg_agri, referent_agri, 1)
    client.force_login(drafter)
    page = client.get(f"/accordi/{agreement.reference}/").content.decode()
    back = page.split('id="h-sent-back"', 1)[1].split("</section>", 1)[0]
    assert "Marco Bassi" in back and "Rivedere l&#x27;art. 1." in back
    complete(agreement, "negotiate", drafter, confirm=True)  # agreed again: nothing is "back" any more
    assert 'id="h-sent-back"' not in client.get(f"/accordi/{agreement.reference}/").content.decode()


def test_the_history_downloads_as_pdf_for_the_dossier(clock, client, named, drafter, director, dg_agri,
                                                       referent_agri):
    from agreements.history.selectors import history_html

    agreement = propose(drafter, director, [dg_agri])
    rounds(agreement, drafter, director, dg_agri, referent_agri, 1)
    html = history_html(agreement, history(agreement))
    assert html.index("ha creato la proposta") < html.index("Marco Bassi ha rinviato il testo")  # oldest first
    client.force_login(director)
    response = client.get(f"/storico/{agreement.reference}/storico.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-") and b"/Type /Page" in response.content.replace(b"/Type/Page",
                                                                                                 b"/Type /Page")
