"""In Chromium (Playwright, live server): the director decides from the approval page alone (text, opinions),
the drafter finds the director's remarks on the negotiation task, and the history reads as sentences with names,
without a raw code or an id; a notification in the header opens the task and is then read."""

import re

import pytest

from agreements.models import AgreementKind, Article, OpinionKind
from tests.support.factories import CounterpartFactory
from tests.support.lifecycle import complete, task_of, through_start
from workflows import services as wf

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
RAW = re.compile(r"\b(agreement_[a-z_]+|text_mark_agreed|opinion_give|consultation_close|send_back|negotiation|"
                 r"approval|favourable)\b")


@pytest.fixture
def login(browser, live_server):
    pages = []

    def open_as(username):
        page = browser.new_context(locale="it-IT").new_page()
        pages.append(page)
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", "password-123")
        page.click("main button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        return page

    yield open_as
    for page in pages:
        page.context.close()


def test_director_decides_from_the_page_and_drafter_reads_the_remarks(
    login, live_server, drafter, director, dg_agri, referent_agri
):
    director.first_name, director.last_name = "Marco", "Bassi"
    director.save()
    agreement = through_start(wf.proposal_start(
        actor=drafter, title="Intesa con la Nouvelle-Aquitaine", kind=AgreementKind.INTESA,
        counterpart=CounterpartFactory(name="Région Nouvelle-Aquitaine"), dgs=[dg_agri], director=director,
        duration_months=36,
    ), director)
    Article.objects.filter(agreement=agreement).delete()  # the first draft from the clause library
    Article.objects.create(agreement=agreement, number=1, heading_it="Oggetto", text_it="Cooperazione agricola.",
                           translations={"fr": {"heading": "Objet", "text": "Coopération agricole."}})
    complete(agreement, "negotiate", drafter, confirm=True)
    complete(agreement, "consult_dg", referent_agri, dg=dg_agri, kind=OpinionKind.FAVOURABLE_REMARKS,
             notes="Citare il PSR 2023-2027.")

    # The director opens the approval from the notification in the header.
    page = login("dirigente")
    assert page.locator("a.notifications-link .badge").inner_text().strip() != ""
    page.click("a.notifications-link")
    page.locator("table.notifications a", has_text="Approvazione dirigente").first.click()
    page.wait_for_url(f"**/attivita/{task_of(agreement, 'approve').pk}/")
    assert "Cooperazione agricola." in page.locator("#h-ctx-text + table").inner_text()
    assert "Coopération agricole." in page.locator("#h-ctx-text + table").inner_text()
    opinions = page.locator("section[aria-labelledby=h-ctx-opinions]").inner_text()
    assert "DG AGRI" in opinions and "Citare il PSR 2023-2027." in opinions
    page.check("input[name=decision][value=send_back]")
    page.fill("textarea[name=remarks]", "L'articolo 1 va esteso alla ricerca.")
    page.click("main form button[type=submit]")
    page.wait_for_url(f"**/accordi/{agreement.reference}/")

    # The drafter's negotiation task opens with what came back, from whom and why.
    page = login("redattore")
    page.goto(f"{live_server.url}/attivita/{task_of(agreement, 'negotiate').pk}/")
    back = page.locator("section.sent-back").inner_text()
    assert "Marco Bassi" in back and "L'articolo 1 va esteso alla ricerca." in back

    # The history reads as sentences with names, no raw code, no ISO date.
    page.goto(f"{live_server.url}/storico/{agreement.reference}/")
    text = page.locator("main").inner_text()
    assert "Marco Bassi ha rinviato il testo alla negoziazione." in text
    assert "ha espresso il parere della DG AGRI: Favorevole con osservazioni." in text
    assert not RAW.findall(text), RAW.findall(text)
    assert not re.search(r"\d{4}-\d{2}-\d{2}", text)
