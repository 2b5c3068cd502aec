"""Notifications through the outbox, delivered by the relay to a real SMTP server (aiosmtpd on localhost): each
task reaches exactly the people it should (holder, role queue, every referent of a DG, the deputy of an absent
holder), once, with its link; a send-back carries the director's remarks; information messages wait for the
daily digest of those who chose it; English for whoever chose English; the in-site list and its unread count."""

import datetime

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from agreements.common.errors import ServiceError
from agreements.common.roles import Role
from agreements.models import (
    Agreement,
    AgreementKind,
    AuditEvent,
    Delegation,
    Notification,
    NotificationKind,
    OpinionKind,
    OutboxMessage,
    Profile,
    ReferenceCounter,
)
from agreements.notifications import services as notifications
from agreements.outbox import services as outbox
from agreements.procedure.services import Decision
from tests.support.factories import CounterpartFactory, UserFactory, referent
from tests.support.lifecycle import complete, task_of, through_start
from workflows import services as wf

pytestmark = pytest.mark.django_db
START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def propose(drafter, director, dgs=()):
    """A proposal taken through the opening steps (the initial informativa to the Assembly) to the negotiation."""
    return through_start(wf.proposal_start(
        actor=drafter, title="Intesa con la Nouvelle-Aquitaine", kind=AgreementKind.INTESA,
        counterpart=CounterpartFactory(name="Région Nouvelle-Aquitaine"), dgs=list(dgs), director=director,
        duration_months=36,
    ), director)


def relay_all():
    while outbox.relay_due(now=timezone.now() + datetime.timedelta(seconds=1)).get("more"):
        pass


def task_mails(smtp_server, address=None):
    """The task e-mails the SMTP server received (Message-ID <notification-task-...>), optionally for one person."""
    return [m for m in smtp_server.handler.messages if m["Message-ID"].startswith("<notification-task-")
            and (address is None or address in m["To"])]


def body(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def test_each_task_reaches_exactly_its_people_once_with_the_link(
    clock, smtp_settings, smtp_server, settings, drafter, director, secretariat, dg_agri, dg_crli, referent_agri,
    referent_crli,
):
    settings.SITE_URL = "https://intese.example.org/"
    second_agri = referent(dg_agri, "referente-agri-2")
    second_secretariat = UserFactory(username="segreteria-2", roles=[Role.SECRETARIAT])
    UserFactory(username="segreteria-via", roles=[Role.SECRETARIAT], is_active=False)  # left: told nothing
    deputy = UserFactory(username="vice-dirigente", roles=[Role.DIRECTOR])
    Delegation.objects.create(user=director, deputy=deputy, starts_on=START.date(),
                              ends_on=START.date() + datetime.timedelta(days=10))

    # A role queue: the initial informativa reached every active person of the Giunta secretariat, once each.
    agreement = propose(drafter, director, dgs=[dg_agri, dg_crli])
    relay_all()
    opening = task_mails(smtp_server)[:2]
    assert sorted(m["To"] for m in opening) == sorted([secretariat.email, second_secretariat.email])
    assert all("Informativa iniziale" in m["Subject"] for m in opening)
    # A person: the drafter's negotiation task.
    [mail] = task_mails(smtp_server)[2:]
    negotiate = task_of(agreement, "negotiate")
    assert mail["To"] == drafter.email
    assert mail["Message-ID"] == f"<notification-task-{negotiate.pk}-u{drafter.pk}@intese.regione>"
    assert f"https://intese.example.org/attivita/{negotiate.pk}/" in body(mail)
    assert agreement.reference in mail["Subject"] and "Negoziazione testo" in mail["Subject"]
    assert "Intesa con la Nouvelle-Aquitaine" in body(mail)

    # A DG with two referents, another with one: every referent of each DG, once each, with the deadline.
    complete(agreement, "negotiate", drafter, confirm=True)
    relay_all()
    consult = task_mails(smtp_server)[3:]
    assert sorted(m["To"] for m in consult) == sorted([referent_agri.email, second_agri.email, referent_crli.email])
    due = (START.date() + datetime.timedelta(days=15)).strftime("%d/%m/%Y")
    assert all(due in body(m) for m in consult)
    agri_task = task_of(agreement, "consult_dg", dg_agri)
    assert f"/attivita/{agri_task.pk}/" in body(next(m for m in consult if m["To"] == second_agri.email))

    # The director's approval, with the deputy of the absent director told too.
    complete(agreement, "consult_dg", referent_agri, dg=dg_agri, kind=OpinionKind.FAVOURABLE, notes="")
    complete(agreement, "consult_dg", referent_crli, dg=dg_crli, kind=OpinionKind.FAVOURABLE, notes="")
    relay_all()
    approve = task_mails(smtp_server)[6:]
    assert sorted(m["To"] for m in approve) == sorted([director.email, deputy.email])
    assert "sostituto" in body(next(m for m in approve if m["To"] == deputy.email))

    # A role queue (the Giunta step has no holder): every active member of the secretariat, once.
    complete(agreement, "approve", director, decision=Decision.APPROVE, remarks="")
    relay_all()
    giunta = task_mails(smtp_server)[8:]
    assert sorted(m["To"] for m in giunta) == sorted([secretariat.email, second_secretariat.email])
    assert "coda" in body(giunta[0])

    # Once: relaying again sends nothing new; every task e-mail has its own Message-ID.
    relay_all()
    assert len(task_mails(smtp_server)) == 10
    assert all(n == 1 for n in smtp_server.handler.message_ids().values())


def test_a_send_back_reaches_the_drafter_with_who_and_the_remarks(
    clock, smtp_settings, smtp_server, drafter, director
):
    director.first_name, director.last_name = "Marco", "Bassi"
    director.save()
    agreement = propose(drafter, director)
    complete(agreement, "negotiate", drafter, confirm=True)
    complete(agreement, "approve", director, decision=Decision.SEND_BACK, remarks="L'art. 3 va riscritto.")
    relay_all()
    mails = task_mails(smtp_server, drafter.email)
    assert len(mails) == 2  # the first negotiation, then the one after the send-back
    text = body(mails[1])
    assert "testo rinviato" in mails[1]["Subject"]
    assert "Marco Bassi" in text and "L'art. 3 va riscritto." in text


def test_information_messages_wait_for_the_daily_digest_of_who_chose_it(
    clock, smtp_settings, smtp_server, drafter, director, dg_agri, referent_agri
):
    notifications.preferences_update(user=drafter, language="it", daily_digest=True)
    agreement = propose(drafter, director, dgs=[dg_agri])
    complete(agreement, "negotiate", drafter, confirm=True)
    complete(agreement, "consult_dg", referent_agri, dg=dg_agri, kind=OpinionKind.FAVOURABLE_REMARKS,
             notes="Citare il PSR.")
    relay_all()
    # The drafter got the task at once, but no information e-mail; the director (immediate) got them.
    to_drafter = [m for m in smtp_server.handler.messages if drafter.email in m["To"]]
    assert [m["Message-ID"].split("-")[1] for m in to_drafter] == ["task"]
    waiting = Notification.objects.filter(user=drafter, digest_pending=True)
    assert {n.kind for n in waiting} == {NotificationKind.OPINION, NotificationKind.PHASE}
    director_info = [m for m in smtp_server.handler.messages if director.email in m["To"]
                     and "parere della DG AGRI" in m["Subject"]]
    assert len(director_info) == 1 and "Citare il PSR." in body(director_info[0])

    # The same day, the digest sends nothing; the next day one e-mail per person, and never a second one.
    assert notifications.digests_send(today=START.date()) == 0
    clock.move_to(START + datetime.timedelta(days=1))
    assert notifications.digests_send() == 1
    assert notifications.digests_send() == 0
    call_command("relay_outbox")
    [digest] = [m for m in smtp_server.handler.messages if m["Message-ID"].startswith("<digest-")]
    assert digest["To"] == drafter.email
    assert f"({waiting.count()} messaggi)" in digest["Subject"]
    assert "parere della DG AGRI" in body(digest)
    assert not Notification.objects.filter(digest_pending=True).exists()


def test_a_moved_deadline_reaches_the_silent_dgs_at_once_even_with_the_digest(
    clock, smtp_settings, smtp_server, drafter, director, dg_agri, referent_agri
):
    notifications.preferences_update(user=referent_agri, language="it", daily_digest=True)
    agreement = propose(drafter, director, dgs=[dg_agri])
    complete(agreement, "negotiate", drafter, confirm=True)
    from agreements.procedure.services import consultation_deadline_set

    consultation_deadline_set(agreement=agreement, actor=drafter, due_date=START.date() + datetime.timedelta(days=30))
    relay_all()
    [mail] = [m for m in smtp_server.handler.messages if m["Message-ID"].startswith("<notification-deadline-")]
    assert mail["To"] == referent_agri.email
    assert "01/04/2026" in mail["Subject"]


def test_english_for_who_chose_english(clock, smtp_settings, smtp_server, drafter, director):
    notifications.preferences_update(user=drafter, language="en", daily_digest=False)
    propose(drafter, director)
    relay_all()
    [mail] = task_mails(smtp_server, drafter.email)
    assert "to do" in mail["Subject"]
    assert "Open the task" in body(mail)


def test_a_dg_without_active_referent_is_refused_at_proposal_and_nothing_is_written(drafter, director, dg_agri):
    gone = referent(dg_agri, "referente-uscito")
    gone.is_active = False
    gone.save()
    events, counters = AuditEvent.objects.count(), list(ReferenceCounter.objects.values_list("last", flat=True))
    with pytest.raises(ServiceError) as refused:
        propose(drafter, director, dgs=[dg_agri])
    assert "DG AGRI" in str(refused.value) and "amministratore" in str(refused.value)
    assert not Agreement.objects.exists()
    assert AuditEvent.objects.count() == events
    assert list(ReferenceCounter.objects.values_list("last", flat=True)) == counters
    assert not OutboxMessage.objects.exists() and not Notification.objects.exists()


def test_the_proposal_page_names_the_dg_and_whom_to_ask(client, drafter, director, dg_agri):
    client.force_login(drafter)
    response = client.post("/accordi/nuovo/", {
        "kind": "intesa", "title": "Intesa senza referente", "counterpart": CounterpartFactory().pk,
        "dgs": [dg_agri.pk], "languages": "it, fr", "director": director.pk, "duration_months": 36,
        "renewal_clause": "express", "consultation_days": 15,
    })
    assert response.status_code == 200
    assert "DG AGRI: nessun referente attivo" in response.content.decode()
    assert not Agreement.objects.exists()


def test_open_tasks_nobody_can_act_on_make_the_health_report_fail(
    clock, client, drafter, director, dg_agri, referent_agri, admin_user
):
    from agreements.health.selectors import health_report
    from agreements.health.services import HEARTBEATS, heartbeat_record

    for name in HEARTBEATS:
        heartbeat_record(name)
    agreement = propose(drafter, director, dgs=[dg_agri])
    complete(agreement, "negotiate", drafter, confirm=True)
    assert health_report()["ok"]
    referent_agri.is_active = False  # the DG's only referent leaves while its opinion is awaited
    referent_agri.save()
    report = health_report()
    assert not report["ok"]
    [orphan] = report["unreachable_tasks"]
    assert orphan.agreement == agreement and orphan.step == "consult_dg"
    with pytest.raises(SystemExit) as exit_:
        call_command("health")
    assert exit_.value.code == 1
    # The periodic timers job tells the administrators, once per task however often it runs.
    wf.timers_job()
    wf.timers_job()
    [told] = OutboxMessage.objects.filter(message_id__startswith="<notification-unreachable-")
    assert told.to == [admin_user.email] and agreement.reference in told.subject
    client.force_login(admin_user)
    page = client.get("/promemoria/salute/")
    assert page.status_code == 503
    assert agreement.reference in page.content.decode()


def test_the_in_site_list_counts_unread_and_opening_marks_read(clock, client, drafter, director):
    agreement = propose(drafter, director)
    client.force_login(drafter)
    header = client.get("/").content.decode()
    assert "1 non letta" in header
    [notification] = Notification.objects.filter(user=drafter)
    listing = client.get("/notifiche/").content.decode()
    assert notification.subject in listing
    response = client.get(f"/notifiche/{notification.pk}/")
    assert response.status_code == 302
    assert response["Location"] == f"/attivita/{task_of(agreement, 'negotiate').pk}/"
    notification.refresh_from_db()
    assert notification.read_at is not None
    assert "non lett" not in client.get("/").content.decode()
    # Someone else's notification is not theirs to open.
    client.force_login(director)
    assert client.get(f"/notifiche/{notification.pk}/").status_code == 404


def test_preferences_page_saves_language_and_digest(client, drafter):
    client.force_login(drafter)
    response = client.post("/notifiche/preferenze/", {"language": "en", "daily_digest": "1"})
    assert response.status_code == 302
    profile = Profile.objects.get(user=drafter)
    assert (profile.language, profile.daily_digest) == ("en", True)
    assert AuditEvent.objects.filter(action="notification_preferences_update", actor=drafter).exists()


def test_a_deputy_named_while_tasks_wait_is_told_of_them_once(clock, smtp_settings, smtp_server, drafter, director):
    from agreements.accounts.services import delegation_create

    agreement = propose(drafter, director)
    complete(agreement, "negotiate", drafter, confirm=True)  # the approval now waits for the director
    deputy = UserFactory(username="vice-dirigente", roles=[Role.DIRECTOR])
    delegation_create(actor=director, user=director, deputy=deputy, starts_on=START.date(),
                      ends_on=START.date() + datetime.timedelta(days=5))
    later = UserFactory(username="vice-futuro", roles=[Role.DIRECTOR])  # from next week: not told today
    delegation_create(actor=director, user=director, deputy=later, starts_on=START.date() + datetime.timedelta(7),
                      ends_on=START.date() + datetime.timedelta(days=9))
    relay_all()
    [mail] = task_mails(smtp_server, deputy.email)
    assert f"/attivita/{task_of(agreement, 'approve').pk}/" in body(mail) and "sostituto" in body(mail)
    assert not task_mails(smtp_server, later.email)


def test_a_deputy_whose_delegation_starts_later_is_told_when_it_starts_once(
    clock, smtp_settings, smtp_server, drafter, director
):
    from agreements.accounts.services import delegation_create

    # given the director's approval waiting, and a deputy named today for the week after next
    agreement = propose(drafter, director)
    complete(agreement, "negotiate", drafter, confirm=True)
    approve = task_of(agreement, "approve")
    later = UserFactory(username="vice-futuro", roles=[Role.DIRECTOR])
    starts = START.date() + datetime.timedelta(days=7)
    delegation_create(actor=director, user=director, deputy=later, starts_on=starts,
                      ends_on=starts + datetime.timedelta(days=2))
    # when the periodic job runs before the delegation starts: nothing for the deputy
    wf.timers_job()
    relay_all()
    assert not task_mails(smtp_server, later.email)
    director_mails = len(task_mails(smtp_server, director.email))
    # when it runs on the first day of the delegation, and again, and the next day
    clock.move_to(START + datetime.timedelta(days=7))
    wf.timers_job()
    wf.timers_job()
    clock.move_to(START + datetime.timedelta(days=8))
    wf.timers_job()
    relay_all()
    # then the deputy got exactly one e-mail for the task, over SMTP, saying why, with the link
    [mail] = task_mails(smtp_server, later.email)
    assert mail["Message-ID"] == f"<notification-task-{approve.pk}-u{later.pk}@intese.regione>"
    assert f"/attivita/{approve.pk}/" in body(mail) and "sostituto" in body(mail)
    assert starts.strftime("%d/%m/%Y") in body(mail)
    assert Notification.objects.filter(user=later, kind=NotificationKind.TASK).count() == 1
    # and nobody else was told again
    assert len(task_mails(smtp_server, director.email)) == director_mails
    assert OutboxMessage.objects.filter(to__contains=[later.email]).count() == 1


def test_a_dg_without_referent_cannot_be_added_by_an_edit_either(drafter, director, dg_agri, dg_crli, referent_agri):
    from agreements.records.services import agreement_update

    agreement = propose(drafter, director, dgs=[dg_agri])
    with pytest.raises(ServiceError) as refused:
        agreement_update(agreement=agreement, actor=drafter, expected_version=agreement.version,
                         dgs=[dg_agri, dg_crli])
    assert "DG CRLI" in str(refused.value)
    assert list(agreement.dgs.all()) == [dg_agri]
