"""The pages of the lifecycle: step forms, Viewflow's console, who may open what."""

import pytest

from agreements.models import AgreementKind, AuditEvent, OpinionKind
from tests.support.factories import CounterpartFactory
from tests.support.lifecycle import complete, open_steps, task_of, through_start
from workflows import services as wf

pytestmark = pytest.mark.django_db


def execute_url(task):
    from workflows.selectors import task_url

    return task_url(task)


@pytest.fixture
def in_consultation(drafter, director, dg_agri, dg_crli, referent_agri, referent_crli):
    agreement = wf.proposal_start(actor=drafter, title="Intesa con il Québec", kind=AgreementKind.INTESA,
                                  counterpart=CounterpartFactory(name="Québec"), dgs=[dg_agri, dg_crli],
                                  director=director)
    through_start(agreement, director)
    complete(agreement, "negotiate", drafter, confirm=True)
    return agreement


def test_referent_opens_and_completes_their_dgs_task_in_the_browser_form(client, in_consultation, dg_agri,
                                                                          referent_agri):
    task = task_of(in_consultation, "consult_dg", dg=dg_agri)
    client.force_login(referent_agri)
    page = client.get(execute_url(task))
    assert page.status_code == 200
    assert "Parere DG" in page.content.decode() and "DG AGRI" in page.content.decode()

    # Unfavourable without notes: refused by the service, error shown, nothing written.
    page = client.post(execute_url(task), {"kind": OpinionKind.UNFAVOURABLE, "notes": ""})
    assert page.status_code == 200
    assert "Motivare il parere nelle note." in page.content.decode()
    assert not AuditEvent.objects.filter(agreement=in_consultation, action="opinion_give").exists()

    page = client.post(execute_url(task), {"kind": OpinionKind.FAVOURABLE, "notes": ""})
    assert page.status_code == 302
    assert AuditEvent.objects.filter(agreement=in_consultation, action="opinion_give").count() == 1
    assert open_steps(in_consultation) == ["consult_dg"]
    # The task is done: opening it again says so instead of showing a form.
    again = client.get(execute_url(task))
    assert again.status_code == 302


def test_referent_of_another_dg_gets_403_on_a_visible_agreement_and_404_on_an_invisible_one(
    client, in_consultation, dg_agri, referent_crli, drafter, director
):
    task = task_of(in_consultation, "consult_dg", dg=dg_agri)
    client.force_login(referent_crli)  # CRLI is consulted too, so the agreement is visible, but not this task
    assert client.get(execute_url(task)).status_code == 403
    other = wf.proposal_start(actor=drafter, title="Accordo riservato", kind=AgreementKind.INTESA,
                              counterpart=CounterpartFactory(name="Baviera"), dgs=[dg_agri], director=director)
    through_start(other, director)
    task = task_of(other, "negotiate")
    response = client.get(execute_url(task))
    assert response.status_code == 404
    assert b"Accordo riservato" not in response.content


def test_field_errors_are_linked_to_their_field(client, in_consultation, dg_agri, referent_agri):
    task = task_of(in_consultation, "consult_dg", dg=dg_agri)
    client.force_login(referent_agri)
    html = client.post(execute_url(task), {"kind": "nonsense"}).content.decode()
    assert 'aria-describedby="id_kind_error"' in html and 'class="errorlist" id="id_kind_error"' in html


def test_viewflow_console_is_for_the_gabinetto_roles(client, in_consultation, director, referent_agri):
    client.force_login(director)
    inbox = client.get("/workflow/", follow=True)
    assert inbox.status_code == 200
    client.force_login(referent_agri)
    for url in ("/workflow/",):
        assert client.get(url, follow=True).status_code in (403, 404)
