"""Plan monitoring: the plan loaded from its YAML file, the monitoring page (objectives, actions with their
agreements, indicators against targets) and the office's form to record actuals."""

import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agreements.models import (
    Action,
    AuditEvent,
    Indicator,
    IndicatorActual,
    IndicatorTarget,
    Objective,
    Plan,
    Sector,
)
from agreements.plan.views import CHART_BAR_WIDTH, indicator_chart
from tests.support.factories import AgreementFactory

PAGE = "/piano/"


def plan_action_pk(number):
    return Action.objects.get(plan__code="2022-2023", number=number).pk


def test_load_plan_loads_the_regions_plan_and_a_second_run_changes_nothing(db, capsys):
    # when the plan is loaded twice
    call_command("load_plan")
    events_after_first = AuditEvent.objects.filter(action="plan_load").count()
    call_command("load_plan")
    out = capsys.readouterr().out
    # then it holds the plan's 6 objectives, 16 system actions and 8 indicators with their targets, once
    assert (Objective.objects.count(), Action.objects.count(), Indicator.objects.count()) == (6, 16, 8)
    first = Plan.objects.get()
    assert (first.code, first.start_year, first.end_year) == ("2022-2023", 2022, 2023)
    assert first.title == "Piano operativo attività internazionale 2022-2023"
    pages = Indicator.objects.get(number=7)
    assert pages.plan == first
    assert list(pages.targets.values_list("year", "value")) == [(2022, 5000), (2023, 6000)]
    assert IndicatorTarget.objects.count() == 16
    assert set(Action.objects.get(number=1).sectors.values_list("code", flat=True)) >= {"dg-agri"}
    # and the second run wrote nothing and said so
    assert events_after_first == 1
    assert AuditEvent.objects.filter(action="plan_load").count() == 1
    assert "Nessuna modifica" in out
    # and the demo agreements the YAML lists are not loaded here
    assert not Sector.objects.get(code="dg-agri").agreements.exists()


def test_office_sees_objectives_actions_with_their_agreements_and_indicators(client, drafter, register_agreements):
    client.force_login(drafter)
    response = client.get(PAGE)
    assert response.status_code == 200
    html = response.content.decode()
    # sixteen actions, each a row
    assert len(re.findall(r'<tr id="azione-\d+"', html)) == 16
    assert "16 azioni di sistema" in html
    # action 1 counts the Nouvelle-Aquitaine agreement, linking to the register filtered on the action (the page
    # is aggregated: no agreement list inline)
    row = re.search(r'<tr id="azione-1">(.*?)</tr>', html, re.S).group(1)
    assert re.search(rf'href="/accordi/\?plan_action={plan_action_pk(1)}"[^>]*>1</a>', row)
    assert "INT-2022-001" not in html
    listed = client.get(f"/accordi/?plan_action={plan_action_pk(1)}").content.decode()
    assert "INT-2022-001" in listed and "INT-2022-002" not in listed
    # eight indicators with Italian-formatted targets and "not recorded" where nothing was recorded
    assert len(re.findall(r'<article id="indicatore-\d+"', html)) == 8
    assert "5.000" in html and "6.000" in html
    assert "non rilevato" in html


def test_dg_referent_sees_only_their_dgs_agreements_on_the_plan(client, plan_referent_agri, register_agreements):
    client.force_login(plan_referent_agri)
    html = client.get(PAGE).content.decode()

    def agreements_of(number):
        row = re.search(rf'<tr id="azione-{number}">(.*?)</tr>', html, re.S).group(1)
        return int(re.search(r'\?plan_action=\d+"[^>]*>(\d+)</a>', row).group(1))

    assert agreements_of(1) == 1  # involves DG AGRI
    assert agreements_of(7) == 0 and agreements_of(2) == 0  # DG CRLI only
    # and they are offered no form to record actuals
    assert 'id="registra"' not in html


def test_drafter_records_an_actual_through_the_form_with_one_audit_event(client, drafter, plan):
    client.force_login(drafter)
    delegations = Indicator.objects.get(number=1)  # target 2022: 12
    before = AuditEvent.objects.count()
    response = client.post(reverse("plan:actual_record"), {"indicator": delegations.pk, "year": "2022", "value": "10",
                                                                "reason": "Delegazioni non ancora registrate"})
    assert response.status_code == 302
    assert response["Location"].endswith("?piano=2022-2023#indicatore-1")
    actual = IndicatorActual.objects.get(indicator=delegations, year=2022)
    assert (actual.value, actual.recorded_by) == (10, drafter)
    events = list(AuditEvent.objects.order_by("id")[before:])
    assert len(events) == 1
    assert events[0].action == "indicator_actual_record" and events[0].actor == drafter
    assert events[0].detail["value"] == 10 and events[0].detail["previous_value"] is None
    # the chart now shows the value and the share of the target, in figures
    html = client.get(PAGE).content.decode()
    article = re.search(r'<article id="indicatore-1".*?</article>', html, re.S).group(0)
    assert "10 · 83% · sotto target" in article
    # a correction replaces the value and is audited with the previous one
    client.post(reverse("plan:actual_record"), {"indicator": delegations.pk, "year": "2022", "value": "13",
                                                "reason": "Tre delegazioni in più"})
    assert IndicatorActual.objects.get(indicator=delegations, year=2022).value == 13
    assert AuditEvent.objects.filter(action="indicator_actual_record").latest("id").detail["previous_value"] == 10


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"year": "2022", "value": "-3"}, "value"),
        ({"year": "2022", "value": "molti"}, "value"),
        ({"year": "2021", "value": "4"}, "year"),
    ],
)
def test_bad_actual_is_refused_with_the_error_on_the_field_and_nothing_written(client, drafter, plan, payload, field):
    client.force_login(drafter)
    indicator = Indicator.objects.get(number=3)
    before = AuditEvent.objects.count()
    response = client.post(reverse("plan:actual_record"), {"indicator": indicator.pk, **payload})
    assert response.status_code == 400
    html = response.content.decode()
    assert f'class="errorlist" id="id_{field}_error"' in html
    assert re.search(rf'<(input|select)[^>]*aria-describedby="[^"]*id_{field}_error"', html)
    assert not IndicatorActual.objects.exists()
    assert AuditEvent.objects.count() == before


def test_observer_and_referent_may_not_record_actuals(client, observer, plan_referent_agri, plan):
    indicator = Indicator.objects.get(number=1)
    for user in (observer, plan_referent_agri):
        client.force_login(user)
        response = client.post(reverse("plan:actual_record"), {"indicator": indicator.pk, "year": "2022",
                                                                "value": "5"})
        assert response.status_code == 403
    assert not IndicatorActual.objects.exists()
    assert not AuditEvent.objects.filter(action="indicator_actual_record").exists()


def test_user_without_role_is_refused_and_anonymous_is_sent_to_login(client, nogroup_user, plan):
    assert client.get(PAGE).status_code == 302
    client.force_login(nogroup_user)
    assert client.get(PAGE).status_code == 403


def test_chart_is_readable_without_colour(client, drafter, plan):
    # given an actual above the 2023 target of indicator 3 (target 3)
    from agreements.plan.services import indicator_actual_record

    indicator_actual_record(indicator=Indicator.objects.get(number=3), year=2023, value=4, actor=drafter,
                            reason="Eventi non registrati")
    client.force_login(drafter)
    html = client.get(PAGE).content.decode()
    article = re.search(r'<article id="indicatore-3".*?</article>', html, re.S).group(0)
    # the target is hatched, the actual solid, and each bar has its number and a word next to it
    assert 'class="bar-target"' in article and 'class="bar-actual"' in article
    assert "url(#plan-hatch)" in html
    assert "4 · 133% · ✓ raggiunto" in article
    assert re.search(r"<title[^>]*>.*2023 target 3, rilevato 4 \(133%\)", article, re.S)
    # the longest bar (the actual, 4) fills the chart and the target is scaled to it
    chart = indicator_chart(_with_actuals(Indicator.objects.get(number=3)))
    row_2023 = chart["years"][1]
    assert row_2023["actual_width"] == CHART_BAR_WIDTH
    assert row_2023["target_width"] == CHART_BAR_WIDTH * 3 / 4


def _with_actuals(indicator):
    indicator.actual_by_year = {a.year: a for a in indicator.actuals.all()}
    indicator.target_by_year = dict(indicator.targets.values_list("year", "value"))
    return indicator


def test_plan_page_queries_do_not_grow_with_the_number_of_agreements(client, drafter, plan):
    client.force_login(drafter)
    action = plan["actions"][1]

    def page_queries():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(PAGE).status_code == 200
        return len(ctx.captured_queries)

    for agreement in AgreementFactory.create_batch(3):
        agreement.plan_actions.add(action)
    few = page_queries()
    for agreement in AgreementFactory.create_batch(40):
        agreement.plan_actions.add(action, plan["actions"][2])
    assert page_queries() == few
