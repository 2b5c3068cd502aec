"""The home dashboard, per role: tasks with deadlines (overdue first), expiring agreements, counts by state,
consultations waiting on each DG, failed e-mails for administrators; in constant queries."""

import datetime
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from agreements.common import tasks
from agreements.models import Agreement, AgreementKind, Counterpart, OutboxMessage, Status
from agreements.records.selectors import dashboard_data
from tests.support.factories import CounterpartFactory, InForceAgreementFactory
from tests.support.lifecycle import complete, open_tasks, through_start
from workflows import services as wf
from workflows.deadlines import task_due_date
from workflows.selectors import due_date_expression
from workflows.selectors import open_tasks as open_tasks_anywhere

pytestmark = pytest.mark.django_db
URL = reverse("agreements:dashboard")
START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def propose(drafter, director, title, dgs, consultation_days=15):
    """A proposal past the initial informativa to the Assembly, at the negotiation."""
    return through_start(wf.proposal_start(
        actor=drafter, title=title, kind=AgreementKind.INTESA,
        counterpart=CounterpartFactory(name=f"Controparte {title}"), dgs=dgs, director=director,
        duration_months=36, consultation_days=consultation_days,
    ), director)


def test_dashboard_needs_login(client):
    assert client.get(URL)["Location"].startswith("/accounts/login/")


def test_drafter_sees_the_negotiation_task_of_their_new_proposal(client, clock, drafter, director):
    agreement = propose(drafter, director, "Intesa con la Catalogna", [])
    client.force_login(drafter)
    response = client.get(URL)
    page = text(response)
    assert "Le mie attività" in page
    assert "Negoziazione testo" in page and agreement.reference in page
    assert re.search(r'href="/attivita/\d+/"', response.content.decode())
    assert "Oggi è il 02/03/2026" in page


def test_referent_sees_their_dgs_consultations_overdue_first(
    client, clock, drafter, director, dg_agri, dg_crli, referent_agri, referent_crli
):
    relaxed = propose(drafter, director, "Intesa A", [dg_agri], consultation_days=30)
    urgent = propose(drafter, director, "Intesa B", [dg_agri], consultation_days=5)
    other = propose(drafter, director, "Intesa C", [dg_crli])
    for agreement in (relaxed, urgent, other):
        complete(agreement, "negotiate", drafter, confirm=True)
    clock.move_to(START + datetime.timedelta(days=10))  # B's deadline (07/03) has passed, A's (01/04) has not

    data = dashboard_data(referent_agri)
    assert [t.agreement.reference for t in data["tasks"]] == [urgent.reference, relaxed.reference]
    assert data["tasks"][0].overdue and data["tasks"][0].due == datetime.date(2026, 3, 7)
    assert not data["tasks"][1].overdue
    assert [o.agreement.reference for o in data["my_dg_consultations"]] == [urgent.reference, relaxed.reference]

    client.force_login(referent_agri)
    page = text(client.get(URL))
    assert "Consultazioni della mia DG" in page
    assert page.index("Intesa B") < page.index("Intesa A")
    assert "scaduta" in page
    assert other.reference not in page  # another DG's consultation is not even named
    assert "In attesa della mia approvazione" not in page


def test_consultations_waiting_on_each_dg_for_the_gabinetto(client, clock, drafter, director, dg_agri, dg_crli,
                                                            referent_agri, referent_crli):
    for title, dgs in (("Intesa A", [dg_agri, dg_crli]), ("Intesa B", [dg_agri])):
        complete(propose(drafter, director, title, dgs), "negotiate", drafter, confirm=True)
    rows = {row["dg__name"]: row for row in dashboard_data(drafter)["consultations_by_dg"]}
    assert rows["DG AGRI"]["n"] == 2 and rows["DG CRLI"]["n"] == 1
    assert rows["DG AGRI"]["first_due"] == datetime.date(2026, 3, 17)
    client.force_login(drafter)
    page = client.get(URL).content.decode()
    assert f'?status=consultation&amp;dg={dg_agri.pk}' in page


def test_director_sees_what_waits_for_their_approval(client, clock, drafter, director, dg_agri, referent_agri):
    agreement = propose(drafter, director, "Intesa con la Catalogna", [])
    complete(agreement, "negotiate", drafter, confirm=True)
    client.force_login(director)
    page = text(client.get(URL))
    assert "In attesa della mia approvazione" in page
    assert "Intesa con la Catalogna" in page and "redatto da redattore" in page
    assert "Approvazione dirigente" in page  # and the task itself among their tasks
    # The drafter is never offered the approval of their own text.
    assert all(t.task.flow_task.name != "approve" for t in dashboard_data(drafter)["tasks"])


def test_expiring_agreements_on_a_six_month_timeline(client, clock, drafter, referent_crli, dg_agri, dg_crli):
    InForceAgreementFactory(reference="INT-2022-001", title="Intesa con la Nouvelle-Aquitaine", dgs=[dg_agri],
                            end_date=datetime.date(2026, 4, 27), renewal_clause="tacit", renewal_notice_days=90)
    InForceAgreementFactory(reference="INT-2022-002", title="Intesa con la Pennsylvania", dgs=[dg_crli],
                            end_date=datetime.date(2026, 8, 31))
    InForceAgreementFactory(reference="INT-2022-003", title="Intesa lontana", end_date=datetime.date(2027, 1, 1))
    InForceAgreementFactory(reference="INT-2019-001", title="Intesa scaduta", end_date=datetime.date(2026, 3, 1))

    months = dashboard_data(drafter)["expiring"]
    assert [m.month for m in months][:2] == [datetime.date(2026, 3, 1), datetime.date(2026, 4, 1)]
    assert len(months) == 7
    listed = {a.reference: (m.month, a.days_left) for m in months for a in m.agreements}
    assert listed == {"INT-2022-001": (datetime.date(2026, 4, 1), 56), "INT-2022-002": (datetime.date(2026, 8, 1), 182)}

    client.force_login(drafter)
    page = text(client.get(URL))
    assert "In scadenza nei prossimi 6 mesi" in page
    assert "27/04/2026" in page and "tra 56 giorni" in page
    assert "Rinnovo tacito: disdetta entro il 27/01/2026" in page
    assert "Intesa lontana" not in page and "Intesa scaduta" not in page

    referent_months = dashboard_data(referent_crli)["expiring"]
    assert [a.reference for m in referent_months for a in m.agreements] == ["INT-2022-002"]


def test_counts_by_state_link_to_the_filtered_register(client, drafter, referent_agri, dg_agri):
    InForceAgreementFactory(dgs=[dg_agri])
    InForceAgreementFactory()
    InForceAgreementFactory(status=Status.CONSULTATION, dgs=[dg_agri])
    assert {c["status"]: c["count"] for c in dashboard_data(drafter)["counts"]} == {"in_force": 2, "consultation": 1}
    assert {c["status"]: c["count"] for c in dashboard_data(referent_agri)["counts"]} == {
        "in_force": 1, "consultation": 1
    }
    client.force_login(drafter)
    page = client.get(URL).content.decode()
    link = reverse("agreements:register") + "?status=in_force"
    assert f'href="{link}"' in page
    rows = re.findall(r'<td class="nowrap"><a href="/accordi/([^/]+)/">', client.get(link).content.decode())
    assert len(rows) == 2  # the link lands on the register filtered by that state


def test_failed_emails_are_shown_to_administrators_only(client, drafter, admin_user):
    OutboxMessage.objects.create(
        message_id="<m1@intese>", to=["dirigente@example.org"], subject="INT-2022-001: scadenza tra 30 giorni",
        body_text="...", state=OutboxMessage.State.FAILED, attempts=5, next_attempt_at=timezone.now(),
        last_error="550 mailbox unavailable",
    )
    OutboxMessage.objects.create(message_id="<m2@intese>", to=["a@example.org"], subject="Inviato", body_text="...",
                                 state=OutboxMessage.State.SENT, next_attempt_at=timezone.now())
    client.force_login(admin_user)
    page = text(client.get(URL))
    assert "E-mail non recapitate" in page and "1 messaggio non recapitato" in page
    assert "INT-2022-001: scadenza tra 30 giorni" in page and "550 mailbox unavailable" in page
    assert "Inviato" not in page
    assert 'href="/promemoria/outbox/?stato=failed"' in client.get(URL).content.decode()  # where to retry them
    client.force_login(drafter)
    assert "E-mail non recapitate" not in text(client.get(URL))


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(URL)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("who", ["drafter", "director", "referent_agri", "admin_user", "secretariat", "observer"])
def test_dashboard_runs_in_the_same_number_of_queries_with_10_and_10000_agreements(
    client, clock, request, who, drafter, director, dg_agri, referent_agri
):
    user = request.getfixturevalue(who)
    for title in ("Intesa A", "Intesa B"):
        complete(propose(drafter, director, title, [dg_agri]), "negotiate", drafter, confirm=True)
    counterpart = Counterpart.objects.create(name="Controparte", country="Francia", type="region")
    today = timezone.localdate()

    def bulk(start, count):
        # Spread over states and end dates; the same number falls in the six-month window each time.
        agreements = Agreement.objects.bulk_create(
            Agreement(reference=f"BLK-{n:06d}", title=f"Accordo {n}", kind=AgreementKind.INTESA,
                      counterpart=counterpart, status=[Status.IN_FORCE, Status.NEGOTIATION, Status.EXPIRED][n % 3],
                      end_date=today + datetime.timedelta(days=400 + n % 300))
            for n in range(start, start + count)
        )
        through = Agreement.dgs.through
        through.objects.bulk_create(through(agreement_id=a.pk, sector_id=dg_agri.pk) for a in agreements[::2])

    client.force_login(user)
    bulk(0, 10)
    small = _queries(client)
    bulk(10, 10_000)
    assert _queries(client) == small


# --- The task list is one query shaped for the page (issue 18) ---------------------------------------------------

def test_the_task_list_is_cut_by_deadline_in_the_database_not_by_creation(clock, drafter, director, dg_agri,
                                                                           referent_agri):
    # given three consultations of DG AGRI: the nearest deadline belongs to the one started last
    for title, days in (("Intesa A", 30), ("Intesa B", 20), ("Intesa C", 5)):
        complete(propose(drafter, director, title, [dg_agri], consultation_days=days), "negotiate", drafter,
                 confirm=True)
    visible = Agreement.objects.filter(dgs=dg_agri)
    # when the list holds one task
    [first] = tasks.directory().inbox(referent_agri, visible, 1)
    # then it is the one due first (a list cut by creation would show Intesa A), with its deadline and page
    assert (first.agreement.title, first.due) == ("Intesa C", datetime.date(2026, 3, 7))
    assert first.url == reverse("task_page", args=[first.pk]) and first.step == "consult_dg"
    assert [t.agreement.title for t in tasks.directory().inbox(referent_agri, visible, 10)] == [
        "Intesa C", "Intesa B", "Intesa A"]
    # and an agreement the referent may not see adds nothing, whatever its deadline
    assert tasks.directory().inbox(referent_agri, visible.none(), 10) == []


def test_the_deadlines_computed_in_sql_are_those_of_task_due_date(clock, drafter, director, secretariat, dg_agri,
                                                                  dg_crli, referent_agri, referent_crli):
    # given a consultation of two DGs and an agreement waiting for the Government's observations, whose 30 days
    # count from the later receipt of the notice
    consulted = propose(drafter, director, "Intesa consultata", [dg_agri, dg_crli], consultation_days=12)
    complete(consulted, "negotiate", drafter, confirm=True)
    notified = propose(drafter, director, "Intesa notificata", [])
    day0 = timezone.localdate()
    complete(notified, "negotiate", drafter, confirm=True)
    complete(notified, "approve", director, decision="approve", remarks="")
    complete(notified, "giunta", secretariat, dgr_number="57/2026", dgr_date=day0)
    clock.move_to(START + datetime.timedelta(days=4))
    day4 = day0 + datetime.timedelta(days=4)
    complete(notified, "notify_government", secretariat, date=day0, protocol="PG/2026/001",
             dar_received_on=day0 + datetime.timedelta(days=1), maeci_received_on=day4)
    complete(notified, "transmit_assembly", secretariat, date=day4, protocol="AL/2026/002")
    # when the deadlines of every open task are computed in SQL
    in_sql = {task.pk: task.due for task in open_tasks_anywhere().annotate(due=due_date_expression())}
    # then each is the one task_due_date gives, and both kinds of deadline are there
    expected = {}
    for agreement in (consulted, notified):
        agreement.refresh_from_db()
        opinions = list(agreement.opinions.all())
        for task in open_tasks(agreement):
            expected[task.pk] = task_due_date(task, agreement, opinions)
    assert in_sql == expected
    assert sorted(filter(None, expected.values())) == [
        day0 + datetime.timedelta(days=12), day0 + datetime.timedelta(days=12), day4 + datetime.timedelta(days=30)]


# The queries of each role's dashboard, whatever the number of agreements and tasks: a session, the user (with
# their roles, their DG and their unread notifications: agreements.accounts.backends), the task list, the expiring
# agreements, the counts by state, the consultations by DG; a referent adds their DG's consultations, a director
# the texts awaiting approval, an administrator the failed e-mails (count and list).
DASHBOARD_QUERIES = {"drafter": 6, "director": 7, "referent_agri": 7, "admin_user": 8, "secretariat": 6,
                     "observer": 6}


@pytest.mark.parametrize("who", sorted(DASHBOARD_QUERIES))
def test_dashboard_queries_per_role(client, request, who, drafter, director, dg_agri, referent_agri):
    user = request.getfixturevalue(who)
    complete(propose(drafter, director, "Intesa A", [dg_agri]), "negotiate", drafter, confirm=True)
    client.force_login(user)
    assert _queries(client) == DASHBOARD_QUERIES[who]
