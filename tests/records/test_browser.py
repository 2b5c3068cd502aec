"""The office's daily pages in a real browser (Debian's Chromium through Playwright, against the live server):
a proposal from the form to the register and its page, in Italian and in English; what a DG referent may not
see; form errors next to their fields. Screenshots of every open page go to test-output/ when a test fails."""

import re
from pathlib import Path

import pytest

from agreements.models import Agreement, AgreementKind
from agreements.records.services import agreement_create
from tests.support.factories import CounterpartFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
OUTPUT = Path(__file__).resolve().parents[2] / "test-output"


@pytest.fixture
def login(browser, live_server, request):
    """login(username) -> a page logged in as that user. On failure every page opened is saved as a PNG."""
    pages = []
    failures_before = request.session.testsfailed

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
    if request.session.testsfailed > failures_before:
        OUTPUT.mkdir(exist_ok=True)
        for n, page in enumerate(pages):
            page.screenshot(path=str(OUTPUT / f"{request.node.name}-{n}.png"), full_page=True)
    for page in pages:
        page.context.close()


def test_drafter_proposes_finds_it_in_the_register_and_reads_its_page_in_english(
    login, live_server, drafter, director, dg_agri, referent_agri
):
    counterpart = CounterpartFactory(name="Région Nouvelle-Aquitaine", country="Francia")
    page = login("redattore")
    assert page.locator("h1").inner_text() == "Cruscotto"
    assert page.get_attribute("html", "lang") == "it"

    # A new proposal from the dashboard.
    page.click("text=Nuova proposta")
    page.select_option("#id_kind", "intesa")
    page.fill("#id_title", "Intesa con la Nouvelle-Aquitaine")
    page.select_option("#id_counterpart", str(counterpart.pk))
    page.check(f"input[name=dgs][value='{dg_agri.pk}']")
    page.fill("#id_languages", "it, fr")
    page.select_option("#id_director", str(director.pk))
    page.fill("#id_duration_months", "36")
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r".*/accordi/INT-\d{4}-001/$"))
    agreement = Agreement.objects.get(title="Intesa con la Nouvelle-Aquitaine")
    assert page.locator(".messages").inner_text().strip() == f"Proposta {agreement.reference} creata."

    # It is in the register; its row leads to its page.
    page.click("nav >> text=Registro")
    page.fill("#id_q", "Aquitaine")
    page.click("main form[role=search] button[type=submit]")
    rows = page.locator("table.register tbody tr")
    assert rows.count() == 1
    assert "Negoziazione testo" in rows.first.inner_text()
    rows.first.locator(f"a:text('{agreement.reference}')").click()
    page.wait_for_url(f"**/accordi/{agreement.reference}/")
    current = page.locator("section[aria-labelledby=h-now]")
    # The procedure opens with the informativa to the Assembly (Statuto art. 13 c. 2), held by the secretariat.
    assert "Negoziazione testo" in current.inner_text() and "Segreteria di Giunta" in current.inner_text()
    assert "Informativa iniziale all'Assemblea legislativa" in current.inner_text()
    assert "Procedura" in page.locator("#h-timeline").inner_text()
    step = page.locator("ol.timeline li[aria-current=step]")
    assert step.locator(".step-label").inner_text() == "Informativa iniziale all'Assemblea legislativa"
    assert "Statuto regionale, art. 13 c. 2" in step.locator(".step-rule").inner_text()

    # English: labels, states and steps change language; the page stays the same agreement.
    page.click("header button[value=en]")
    page.wait_for_load_state()
    assert page.get_attribute("html", "lang") == "en"
    assert page.url.endswith(f"/accordi/{agreement.reference}/")
    assert page.locator("#h-now").inner_text() == "Current step"
    assert page.locator("ol.timeline li[aria-current=step] .step-label").inner_text() == (
        "Initial informativa to the Legislative Assembly")
    assert "Regional Statute, art. 13 c. 2" in page.locator("ol.timeline li[aria-current=step] .step-rule").inner_text()
    nav = page.locator("header nav").inner_text()
    assert "Dashboard" in nav and "Register" in nav and "Cruscotto" not in nav
    page.click("nav >> text=Register")
    assert page.locator("h1").inner_text() == "Register of agreements"
    assert "Text negotiation" in page.locator("table.register").inner_text()
    page.click("header button[value=it]")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Registro degli accordi"


def test_a_dg_referent_does_not_see_another_dgs_agreement(login, live_server, drafter, dg_agri, dg_crli, referent_agri,
                                                         referent_crli):
    mine = agreement_create(actor=drafter, title="Intesa con la Catalogna", kind=AgreementKind.INTESA,
                            counterpart=CounterpartFactory(name="Generalitat de Catalunya"), dgs=[dg_agri])
    other = agreement_create(actor=drafter, title="Intesa con la Pennsylvania", kind=AgreementKind.INTESA,
                             counterpart=CounterpartFactory(name="Pennsylvania"), dgs=[dg_crli])
    page = login("referente-agri")
    assert "/workflow/" not in page.locator("header nav").inner_html()  # no Viewflow console for referents
    page.goto(f"{live_server.url}/accordi/")
    register = page.locator("table.register").inner_text()
    assert mine.reference in register and other.reference not in register
    page.fill("#id_q", "Pennsylvania")
    page.click("main form[role=search] button[type=submit]")
    assert page.locator("table.register").count() == 0
    assert "Nessun accordo corrisponde alla ricerca." in page.locator("main").inner_text()

    response = page.goto(f"{live_server.url}/accordi/{other.reference}/")
    assert response.status == 404
    assert "Pennsylvania" not in page.content()
    response = page.goto(f"{live_server.url}/accordi/{mine.reference}/")
    assert response.status == 200 and "Intesa con la Catalogna" in page.locator("h1").inner_text()


def test_form_errors_are_shown_next_to_their_field_and_linked_to_it(login, live_server, drafter):
    page = login("redattore")
    page.goto(f"{live_server.url}/accordi/nuovo/")

    # Every visible control has a label (its own, or the legend of its group).
    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll('main input:not([type=hidden]), main select, main textarea')]
              .filter(el => el.labels.length === 0 && !el.closest('fieldset')?.querySelector('legend'))
              .map(el => el.name)"""
    )
    assert unlabelled == []

    page.fill("#id_languages", "it, xx")
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    for field, message in (
        ("title", "Questo campo è obbligatorio."),
        ("counterpart", "Scegliere la controparte o inserirne una nuova."),
        ("languages", "Codice di lingua sconosciuto: xx"),
    ):
        control = page.locator(f"#id_{field}")
        assert control.get_attribute("aria-invalid") == "true"
        described_by = control.get_attribute("aria-describedby")
        assert f"id_{field}_error" in described_by.split()
        error = page.locator(f"#id_{field}_error")
        assert error.inner_text().strip() == message
        # The message sits in the same field box as the control it describes.
        assert page.locator(f".field:has(#id_{field}) #id_{field}_error").count() == 1
    assert not Agreement.objects.exists()
