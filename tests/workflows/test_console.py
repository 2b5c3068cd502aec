"""Viewflow's console (/workflow/) in Italian, with the site's name and a way back to its pages (issue 13 item 8):
the lists, a process, a task and the flow chart, as the director sees them."""

import re

import pytest
from django.urls import reverse

from agreements.models import AgreementKind
from tests.support.factories import CounterpartFactory
from tests.support.lifecycle import complete, through_start
from workflows import services as wf
from workflows.models import AgreementProcess

pytestmark = pytest.mark.django_db

# What Viewflow would print in English on these pages (column labels from method names, hard-coded field labels,
# the pagination, the flow chart's routing nodes named from their code).
ENGLISH = ["Process summary", "Process brief", ">Brief<", 'label="Brief"', 'label="Owner"', 'label="Created"',
           "Previous tasks", "Next tasks", "Inbox", " of ", "Needs Qualification", "Consultation Join",
           "After Approval", "Silent Assent", "Unassigned"]


def visible(html: str) -> str:
    """The page without scripts and styles (whose code may contain any word)."""
    return re.sub(r"<(script|style)\b.*?</\1>", "", html, flags=re.S)


@pytest.fixture
def in_consultation(drafter, director, dg_agri, referent_agri):
    agreement = wf.proposal_start(actor=drafter, title="Intesa con il Québec", kind=AgreementKind.INTESA,
                                  counterpart=CounterpartFactory(name="Québec"), dgs=[dg_agri], director=director)
    through_start(agreement, director)
    complete(agreement, "negotiate", drafter, confirm=True)
    return agreement


def test_the_console_speaks_italian_and_leads_back_to_the_site(client, in_consultation, director):
    client.force_login(director)
    process = AgreementProcess.objects.get(agreement=in_consultation)
    task = process.task_set.filter(flow_task_type="HUMAN").order_by("pk").first()
    pages = {
        "process list": reverse("agreement:process_list"),
        "task list": reverse("agreement:task_list"),
        "archive": reverse("agreement:archive"),
        "queue": reverse("agreement:queue"),
        "inbox": reverse("agreement:inbox"),
        "process": reverse("agreement:process_detail", args=[process.pk]),
        "task": task.flow_task.reverse("detail", args=[process.pk, task.pk]),
    }
    for name, url in pages.items():
        response = client.get(url, follow=True)
        assert response.status_code == 200, name
        html = visible(response.content.decode())
        for english in ENGLISH:
            assert english not in html, (name, english)
        # the site's name and the way back to its pages
        assert 'id="console-back"' in html and reverse("agreements:dashboard") in html, name
    html = visible(client.get(pages["task list"]).content.decode())
    assert "Accordo" in html and in_consultation.reference in html
    assert re.search(r"\d+-\d+ di \d+", html)  # the pagination
    task_page = visible(client.get(pages["task"], follow=True).content.decode())
    assert 'label="Sintesi"' in task_page and "Attività precedenti" in task_page


def test_the_flow_chart_names_every_node_in_italian(client, in_consultation, director):
    client.force_login(director)
    process = AgreementProcess.objects.get(agreement=in_consultation)
    for url in (reverse("agreement:chart"), reverse("agreement:process_chart", args=[process.pk])):
        response = client.get(url, follow=True)
        assert response.status_code == 200
        html = response.content.decode()
        for english in ("Needs Qualification", "Consultation Join", "After Approval", "Silent Assent",
                        "In Force When Signed", "Await Observations"):
            assert english not in html, (url, english)
        for italian in ("Pareri raccolti", "Fine dei 30 giorni", "Proposta", "Firma"):
            assert italian in html, (url, italian)
