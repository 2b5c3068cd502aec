"""A new Intesa from proposal to in force in a real browser (Debian's Chromium through Playwright): each task
arrives on the right person's dashboard and is completed through its page."""


import pytest
from django.utils import timezone

from agreements.common.roles import Role
from agreements.common.rules import RULE_OF_STEP
from agreements.models import Agreement, Status
from tests.support.factories import CounterpartFactory, SectorFactory, UserFactory, referent
from tests.support.lifecycle import task_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def people(db):
    dg = SectorFactory(code="dg-agri", name="DG AGRI")
    return {
        "redattore": UserFactory(username="redattore", roles=[Role.DRAFTER]),
        "dirigente": UserFactory(username="dirigente", roles=[Role.DIRECTOR], first_name="Marco", last_name="Bassi"),
        "segreteria": UserFactory(username="segreteria", roles=[Role.SECRETARIAT]),
        "referente-agri": referent(dg, "referente-agri"),
        "dg": dg,
    }


def session(browser, live_server, username):
    page = browser.new_context(locale="it-IT").new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "password-123")
    page.click("main button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    return page


def do_task(browser, live_server, username, agreement, step, fields=(), checks=(), selects=()):
    """Open the dashboard as `username`, follow the link of the step's task, check that the page cites the step's
    rule, fill the form and submit it."""
    task = task_of(agreement, step)
    page = session(browser, live_server, username)
    page.goto(f"{live_server.url}/")
    page.click(f"a[href='/attivita/{task.pk}/']")  # the task is on this user's dashboard
    assert RULE_OF_STEP[step].citation in page.inner_text("#step-rule")
    for selector, value in selects:
        page.select_option(selector, value)
    for selector in checks:
        page.check(selector)
    for selector, value in fields:
        page.fill(selector, value)
    page.click("main form[method=post] button[type=submit]")
    page.wait_for_url(f"**/accordi/{agreement.reference}/")
    assert "completata" in page.content()
    page.context.close()


def test_an_intesa_goes_from_proposal_to_in_force_in_the_browser(browser, live_server, people):
    counterpart = CounterpartFactory(name="Région Occitanie")
    today = timezone.localdate().isoformat()
    page = session(browser, live_server, "redattore")
    page.goto(f"{live_server.url}/accordi/nuovo/")
    page.select_option("#id_kind", "intesa")
    page.fill("#id_title", "Intesa con l'Occitania")
    page.select_option("#id_counterpart", str(counterpart.pk))
    page.check(f"input[name=dgs][value='{people['dg'].pk}']")
    page.select_option("#id_director", str(people["dirigente"].pk))
    page.fill("#id_duration_months", "36")
    page.click("main form[method=post] button[type=submit]")
    page.wait_for_url("**/accordi/INT-*/")
    agreement = Agreement.objects.get(title="Intesa con l'Occitania")
    assert agreement.reference in page.content()
    page.context.close()

    # Statuto art. 13 c. 2: the Assembly is informed first.
    do_task(browser, live_server, "segreteria", agreement, "inform_assembly_start",
            fields=[("#id_date", today), ("#id_protocol", "AL/0")])
    do_task(browser, live_server, "redattore", agreement, "negotiate", checks=["#id_confirm"])
    do_task(browser, live_server, "referente-agri", agreement, "consult_dg",
            checks=["input[name=kind][value=favourable]"])
    do_task(browser, live_server, "dirigente", agreement, "approve", checks=["input[name=decision][value=approve]"])
    do_task(browser, live_server, "segreteria", agreement, "giunta",
            fields=[("#id_dgr_number", f"57/{today[:4]}"), ("#id_dgr_date", today)])
    do_task(browser, live_server, "segreteria", agreement, "notify_government",
            fields=[("#id_date", today), ("#id_protocol", "PG/1"), ("#id_dar_received_on", today),
                    ("#id_maeci_received_on", today)])
    do_task(browser, live_server, "segreteria", agreement, "transmit_assembly",
            fields=[("#id_date", today), ("#id_protocol", "AL/1")])
    do_task(browser, live_server, "segreteria", agreement, "record_observations",
            checks=["input[name=outcome][value=nulla_osta]"], fields=[("#id_date", today)])
    do_task(browser, live_server, "segreteria", agreement, "report_outcome",
            fields=[("#id_date", today), ("#id_protocol", "AL/2")])
    do_task(browser, live_server, "segreteria", agreement, "assembly_observations",
            checks=["input[name=outcome][value=none]"])
    do_task(browser, live_server, "segreteria", agreement, "final_approval",
            fields=[("#id_dgr_number", f"58/{today[:4]}"), ("#id_dgr_date", today)])
    do_task(browser, live_server, "redattore", agreement, "sign",
            selects=[("#id_region_signatory_office", "president")],
            fields=[("#id_place", "Tolosa"), ("#id_date", today),
                    ("#id_region_signatory_name", "Michele de Pascale")])
    do_task(browser, live_server, "segreteria", agreement, "ratify",
            checks=["#id_information_attached", "input[name=form][value=resolution]"],
            fields=[("#id_transmission_date", today), ("#id_act", "Delibera AL 9"), ("#id_date", today)])
    agreement.refresh_from_db()
    assert agreement.status == Status.IN_FORCE  # from the ratification, before the publication
    do_task(browser, live_server, "segreteria", agreement, "publish", checks=["#id_with_ratification_act"],
            fields=[("#id_burert_reference", "BURERT n. 300"), ("#id_published_on", today)])

    agreement.refresh_from_db()
    assert agreement.status == Status.IN_FORCE
    assert agreement.entry_into_force == timezone.localdate()
    assert (agreement.dgr_number, agreement.final_dgr_number) == (f"57/{today[:4]}", f"58/{today[:4]}")
    page = session(browser, live_server, "dirigente")
    page.goto(f"{live_server.url}/accordi/{agreement.reference}/")
    assert "In vigore" in page.content()
    timeline = page.inner_text("ol.timeline")
    for label in ("Informativa iniziale all'Assemblea legislativa", "Approvazione definitiva della Giunta",
                  "Esito del coordinamento comunicato all'Assemblea", "BURERT n. 300: testo e atto di ratifica"):
        assert label in timeline
    assert "L.R. 16/2008, art. 17 c. 5" in timeline
