"""The issue's "done when" (issue 13): with the demo users of `setup_demo` (what `make run` creates), an Intesa goes
from proposal to in force through the site's pages only, and every person a task reaches gets exactly one e-mail for
it, through the outbox and the relay to a real SMTP server (aiosmtpd), with the link to the task; each task page
shows what the decision is about (the step's rule, the text, the opinions, what came back after a send-back)."""

import datetime
import re

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from agreements.models import Agreement, Counterpart, Notification, NotificationKind, Sector, Status
from agreements.outbox import services as outbox
from tests.support.lifecycle import PRESIDENT, open_tasks
from workflows import services as wf

pytestmark = pytest.mark.django_db
START = datetime.datetime(2026, 5, 4, 8, 0, tzinfo=datetime.UTC)
ARTICLE = "Le Parti promuovono la cooperazione nella ricerca agroalimentare."


def relay_all():
    while outbox.relay_due(now=timezone.now() + datetime.timedelta(seconds=1)).get("more"):
        pass


def form_values(data: dict) -> dict:
    """A step's data as a browser posts it: dates as ISO text, booleans as a ticked box, None left out."""
    out = {}
    for name, value in data.items():
        if value is None or value is False:
            continue
        out[name] = "on" if value is True else value.isoformat() if isinstance(value, datetime.date) else value
    return out


def moves(today):
    """What each demo user posts on each step's page."""
    return {
        "inform_assembly_start": ("segreteria", {"date": today, "protocol": "AL/2026/11"}),
        "negotiate": ("redattore", {"confirm": True}),
        "consult_dg": (None, {"kind": "favourable_remarks", "notes": "Coinvolgere i centri di ricerca."}),
        "approve": ("dirigente", {"decision": "approve", "remarks": ""}),
        "giunta": ("segreteria", {"dgr_number": f"812/{today.year}", "dgr_date": today}),
        "notify_government": ("segreteria", {"date": today, "protocol": "PG/2026/40", "dar_received_on": today,
                                             "maeci_received_on": today}),
        "transmit_assembly": ("segreteria", {"date": today, "protocol": "AL/2026/12"}),
        "record_observations": ("segreteria", {"outcome": "nulla_osta", "date": today}),
        "report_outcome": ("segreteria", {"date": today, "protocol": "AL/2026/13"}),
        "assembly_observations": ("segreteria", {"outcome": "none"}),
        "final_approval": ("segreteria", {"dgr_number": f"901/{today.year}", "dgr_date": today}),
        "sign": ("redattore", {"place": "Bologna", "date": today, **PRESIDENT}),
        "ratify": ("segreteria", {"transmission_date": today, "information_attached": True, "form": "resolution",
                                  "act": f"DAL 77/{today.year}", "date": today}),
        "publish": ("segreteria", {"burert_reference": "BURERT n. 150", "published_on": today,
                                   "with_ratification_act": True}),
    }


def test_demo_users_carry_an_intesa_to_in_force_one_email_per_task_and_person(
    client, settings, tmp_path, smtp_settings, smtp_server
):
    settings.VAR_DIR = tmp_path
    settings.SITE_URL = "http://127.0.0.1:8000/"
    with time_machine.travel(START, tick=False) as clock:
        call_command("setup_demo")
        relay_all()
        smtp_server.handler.messages.clear()  # the demo agreements' own tasks: not this walk-through's
        users = {u.username: u for u in get_user_model().objects.all()}
        dgs = {s.code: s for s in Sector.objects.filter(code__in=["dg-agri", "dg-crli"])}
        referent_of = {dgs["dg-agri"].pk: users["referente-agri"], dgs["dg-crli"].pk: users["referente-crli"]}

        # The drafter proposes from the proposal page and writes the text on the articles page.
        client.force_login(users["redattore"])
        counterpart = Counterpart.objects.order_by("pk").first()
        response = client.post(reverse("agreements:create"), {
            "kind": "intesa", "title": "Intesa con l'Occitanie sulla ricerca agroalimentare",
            "counterpart": counterpart.pk, "dgs": [dgs["dg-agri"].pk, dgs["dg-crli"].pk], "languages": "it, fr",
            "director": users["dirigente"].pk, "duration_months": "36", "renewal_clause": "express",
            "consultation_days": "15", "binding": "on",
        })
        assert response.status_code == 302, response.content.decode()[:3000]
        agreement = Agreement.objects.get(title="Intesa con l'Occitanie sulla ricerca agroalimentare")
        response = client.post(reverse("agreements:articles", args=[agreement.reference]), {
            "articles-TOTAL_FORMS": "1", "articles-INITIAL_FORMS": "0", "articles-0-number": "1",
            "articles-0-heading_it": "Oggetto", "articles-0-text_it": ARTICLE,
            "articles-0-heading_fr": "Objet", "articles-0-text_fr": "Les Parties coopèrent.",
        })
        assert response.status_code == 302

        told = {}  # task pk -> usernames e-mailed for it
        steps_done = []
        sent_back = False
        for _ in range(40):
            tasks = sorted(open_tasks(agreement), key=lambda t: t.pk)
            if not tasks:
                break
            relay_all()
            # Every open task reached its people by e-mail, exactly once each, with the link to its page.
            for task in tasks:
                if task.pk in told:
                    continue
                mails = [m for m in smtp_server.handler.messages
                         if m["Message-ID"].startswith(f"<notification-task-{task.pk}-u")]
                told[task.pk] = sorted(m["To"].split("@")[0] for m in mails)
                step = task.flow_task.name
                if step == "consult_dg":
                    expected = [referent_of[task.data["dg"]].username]
                else:
                    expected = {"negotiate": ["redattore"], "sign": ["redattore"],
                                "approve": ["dirigente"]}.get(step, ["segreteria"])
                assert told[task.pk] == expected, (step, told[task.pk])
                for mail in mails:
                    text = mail.get_body(preferencelist=("plain",)).get_content()
                    assert f"http://127.0.0.1:8000/attivita/{task.pk}/" in text, step
                    assert agreement.reference in mail["Subject"]
            task = tasks[0]
            step = task.flow_task.name
            username, data = moves(timezone.localdate())[step]
            if step == "consult_dg":
                username = referent_of[task.data["dg"]].username
            actor = users[username]
            client.force_login(actor)
            url = reverse("task_page", args=[task.pk])
            page = client.get(url, follow=True)
            assert page.status_code == 200, step
            html = page.content.decode()
            # The page is enough to decide: the step, its rule, the text, and what the step is about.
            assert f"<h1>{escape(task.flow_task.task_title)}</h1>" in html, step
            assert 'id="step-rule"' in html, step
            assert ARTICLE in html, step
            if step == "approve":
                assert "Coinvolgere i centri di ricerca." in html  # the DGs' opinions with their notes
                assert "DG" in html and "Favorevole" in html
            if step == "approve" and not sent_back:
                # The first time, the director sends the text back with remarks.
                data = {"decision": "send_back", "remarks": "Precisare gli impegni di spesa all'art. 1."}
                sent_back = True
            if step == "negotiate" and sent_back:
                assert escape("Precisare gli impegni di spesa all'art. 1.") in html  # what came back and why
                assert "Marco Bassi" in html
                mail = next(m for m in smtp_server.handler.messages
                            if m["Message-ID"].startswith(f"<notification-task-{task.pk}-u"))
                assert "Precisare gli impegni di spesa" in mail.get_body(preferencelist=("plain",)).get_content()
            if step == "record_observations":
                assert "full_powers" not in html  # an intesa: no full powers on the form
            response = client.post(url, form_values(data))
            assert response.status_code == 302, (step, re.findall(r'errorlist[^>]*>(.*?)</ul>',
                                                                  response.content.decode(), re.S))
            steps_done.append(step)
            clock.shift(datetime.timedelta(hours=1))
        agreement.refresh_from_db()
        assert agreement.status == Status.IN_FORCE, (agreement.status, steps_done)
        assert steps_done.count("negotiate") == 2 and steps_done.count("approve") == 2
        assert {"consult_dg", "giunta", "sign", "ratify", "publish"} <= set(steps_done)

        relay_all()
        # Exactly one e-mail per task and person, nothing twice: Message-IDs are unique and match the tasks.
        task_mails = [m for m in smtp_server.handler.messages if m["Message-ID"].startswith("<notification-task-")]
        ids = [m["Message-ID"] for m in task_mails]
        assert len(ids) == len(set(ids)) == sum(len(v) for v in told.values())
        assert len(told) == len(steps_done)
        # In the site too: one task notification per task and person.
        assert Notification.objects.filter(agreement=agreement, kind=NotificationKind.TASK).count() == len(ids)
        # Running the relay again sends nothing more.
        before = len(smtp_server.handler.messages)
        relay_all()
        assert len(smtp_server.handler.messages) == before
        wf.timers_job()
        relay_all()
        assert [m for m in smtp_server.handler.messages[before:]
                if m["Message-ID"].startswith("<notification-task-")] == []
