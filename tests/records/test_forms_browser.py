"""The office's forms in a real browser (Debian's Chromium through Playwright, against the live server): signatory
rows added and removed in place and saved together, fields fixed by the Giunta shown locked, and a renewal that
asks for confirmation before it starts (issue 13 item 7)."""

import datetime

import pytest
from django.utils import timezone

from agreements.models import Agreement, AuditEvent, Signatory, Status
from tests.records import test_browser
from tests.support.factories import CounterpartFactory, InForceAgreementFactory
from tests.support.lifecycle import complete, through_start
from workflows import services as wf

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
login = test_browser.login  # the logged-in page fixture (screenshots on failure)


def test_signatory_rows_are_added_and_removed_in_place_and_saved_together(login, live_server, drafter, director):
    agreement = wf.proposal_start(actor=drafter, title="Intesa con l'Occitanie", kind="intesa",
                                  counterpart=CounterpartFactory(name="Occitanie"), director=director)
    Signatory.objects.create(agreement=agreement, side="region", name="Da togliere", role="Assessore", order=0)
    page = login("redattore")
    page.goto(f"{live_server.url}/accordi/{agreement.reference}/firmatari/")
    page.evaluate("window.samePage = true")  # gone if anything below reloads the page
    rows = page.locator("[data-formset-row]:visible")
    assert rows.count() == 2  # the signatory and one empty row
    assert page.locator("input[name='signatories-0-DELETE']").is_hidden()  # the button replaces the box

    # remove the existing one, fill the empty row, add two rows, fill one, remove the other: all in place
    page.locator("[data-formset-row]").nth(0).get_by_role("button", name="Rimuovi").click()
    page.fill("#id_signatories-1-name", "Michele de Pascale")
    page.fill("#id_signatories-1-role", "Presidente")
    page.click("text=Aggiungi un firmatario")
    page.click("text=Aggiungi un firmatario")
    assert rows.count() == 3
    assert page.evaluate("document.activeElement.id") == "id_signatories-3-side"  # the new row has the focus
    page.select_option("#id_signatories-2-side", "counterpart")
    page.fill("#id_signatories-2-name", "Carole Delga")
    page.fill("#id_signatories-2-role", "Présidente")
    page.locator("[data-formset-row]").nth(3).get_by_role("button", name="Rimuovi").click()
    assert rows.count() == 2
    assert [n.inner_text() for n in rows.locator("[data-row-number]").all()] == ["1", "2"]
    assert page.input_value("input[name='signatories-TOTAL_FORMS']") == "4"
    assert page.evaluate("window.samePage") is True
    assert list(agreement.signatories.values_list("name", flat=True)) == ["Da togliere"]  # nothing saved yet

    page.click("text=Salva i firmatari")
    page.wait_for_url(f"{live_server.url}/accordi/{agreement.reference}/")
    assert list(agreement.signatories.order_by("order").values_list("name", flat=True)) == [
        "Michele de Pascale", "Carole Delga"]
    assert AuditEvent.objects.filter(agreement=agreement, action="signatories_replace").count() == 1

    # an error comes back next to its field, in the site's error style
    page.goto(f"{live_server.url}/accordi/{agreement.reference}/firmatari/")
    page.fill("#id_signatories-0-name", "")
    page.click("text=Salva i firmatari")
    error = page.locator("#id_signatories-0-name_error")
    assert "obbligatorio" in error.inner_text().lower()
    assert page.get_attribute("#id_signatories-0-name", "aria-invalid") == "true"
    assert error.evaluate("e => getComputedStyle(e).color") != page.locator("main p").first.evaluate(
        "e => getComputedStyle(e).color")
    assert agreement.signatories.count() == 2


def test_title_and_counterpart_are_locked_after_the_giunta(login, live_server, drafter, director, secretariat):
    agreement = wf.proposal_start(actor=drafter, title="Intesa con la Baviera", kind="intesa",
                                  counterpart=CounterpartFactory(name="Baviera"), director=director)
    through_start(agreement, director, creates_commitments=True)
    today = timezone.localdate()
    complete(agreement, "negotiate", drafter, confirm=True)
    complete(agreement, "approve", director, decision="approve", remarks="")
    complete(agreement, "giunta", secretariat, dgr_number=f"57/{today.year}", dgr_date=today)
    agreement.refresh_from_db()
    assert agreement.status == Status.NOTIFICATION
    page = login("redattore")
    page.goto(f"{live_server.url}/accordi/{agreement.reference}/modifica/")
    assert page.is_disabled("#id_title") and page.is_disabled("#id_counterpart")
    assert page.is_enabled("#id_notes")
    assert "Fissato dalla delibera di Giunta" in page.locator("#id_title_helptext").inner_text()
    page.fill("#id_notes", "Nota dopo la Giunta")
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/accordi/{agreement.reference}/")
    agreement.refresh_from_db()
    assert agreement.title == "Intesa con la Baviera" and agreement.notes == "Nota dopo la Giunta"


def test_renewal_asks_for_confirmation_and_its_history_starts_with_it(login, live_server, drafter):
    old = InForceAgreementFactory(reference="INT-2024-007", title="Intesa con la Nouvelle-Aquitaine",
                                  drafted_by=drafter, end_date=timezone.localdate() + datetime.timedelta(days=90))
    page = login("redattore")
    page.goto(f"{live_server.url}/accordi/{old.reference}/")
    page.click("text=Avvia il rinnovo")
    assert page.locator("h1").inner_text() == "Avvia il rinnovo"
    assert "ripercorre l'intera procedura" in page.locator("main").inner_text()
    assert not Agreement.objects.filter(renews=old).exists()  # asking is not starting
    page.click("text=Annulla")
    assert not Agreement.objects.filter(renews=old).exists()
    page.click("text=Avvia il rinnovo")
    page.click("text=Conferma e avvia il rinnovo")
    renewal = Agreement.objects.get(renews=old)
    page.wait_for_url(f"{live_server.url}/accordi/{renewal.reference}/")
    page.goto(f"{live_server.url}/storico/{renewal.reference}/")
    history = page.locator("main").inner_text()
    assert f"ha avviato il rinnovo {renewal.reference}" in history
    assert AuditEvent.objects.filter(agreement=renewal, action="renewal_create", actor=drafter).count() == 1
