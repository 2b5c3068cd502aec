"""A plan is a record with its own period: a second plan (2024-2025, made up here) loads beside the Region's
2022-2023 plan from a file in the same format, with no code change, and the monitoring page picks either."""

import io
import re

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from agreements.common.errors import ServiceError
from agreements.models import Action, AuditEvent, Indicator, IndicatorActual, IndicatorTarget, Objective, Plan
from agreements.plan.services import DEFAULT_PLAN_PATH, indicator_actual_record, load_plan

PAGE = "/piano/"


def second_plan_file(tmp_path, **changes):
    """A made-up plan 2024-2025 in the repo's format: the first plan's file with another code, title, period,
    adoption act, three objectives, two actions, two indicators and targets for 2024 and 2025."""
    data = yaml.safe_load(DEFAULT_PLAN_PATH.read_text(encoding="utf-8"))
    data["source"] = {
        "code": "2024-2025", "title": "Piano operativo attività internazionale 2024-2025", "period": "2024-2025",
        "adoption_act_number": "12345", "adoption_act_date": "2024-03-15",
        "publication_reference": "BURERT n. 99 del 2024",
    }
    data["objectives"] = data["objectives"][:3]
    data["actions"] = [{**action, "number": n, "short_title": f"Azione nuova {n}"}
                       for n, action in enumerate(data["actions"][:2], start=1)]
    data["indicators"] = [
        {"number": 1, "expected_result": "Relazioni consolidate", "name": "n. delegazioni ricevute",
         "objectives": [1], "targets": {2024: 20, 2025: 25}},
        {"number": 2, "expected_result": "Platea ampliata", "name": "n. nuovi stakeholder",
         "objectives": [2, 3], "targets": {2024: 130, 2025: 150}},
    ]
    data.pop("agreements", None)
    data.update(changes)
    path = tmp_path / "piano-2024-2025.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture
def two_plans(plan, tmp_path):
    path = second_plan_file(tmp_path)
    call_command("load_plan", str(path), stdout=io.StringIO())
    return Plan.objects.get(code="2022-2023"), Plan.objects.get(code="2024-2025")


def test_a_second_plan_loads_beside_the_first_with_no_code_change(two_plans, tmp_path):
    first, second = two_plans
    # then both plans are records with their period and act; the first keeps all its rows
    assert list(Plan.objects.values_list("code", flat=True)) == ["2022-2023", "2024-2025"]
    assert (second.start_year, second.end_year, second.years) == (2024, 2025, [2024, 2025])
    assert (second.adoption_act_number, second.adoption_act_date.isoformat()) == ("12345", "2024-03-15")
    assert second.publication_reference == "BURERT n. 99 del 2024"
    assert (first.objectives.count(), first.actions.count(), first.indicators.count()) == (6, 16, 8)
    assert (second.objectives.count(), second.actions.count(), second.indicators.count()) == (3, 2, 2)
    # the same numbers live in both plans, each indicator with targets for the years of its own plan
    assert Indicator.objects.filter(number=1).count() == 2
    assert list(IndicatorTarget.objects.filter(indicator__plan=second).order_by("indicator__number", "year")
                .values_list("indicator__number", "year", "value")) == [
        (1, 2024, 20), (1, 2025, 25), (2, 2024, 130), (2, 2025, 150)]
    assert list(IndicatorTarget.objects.filter(indicator__plan=first, indicator__number=7)
                .values_list("year", "value")) == [(2022, 5000), (2023, 6000)]
    # and loading either file again changes nothing
    events = AuditEvent.objects.filter(action="plan_load").count()
    counts = load_plan(second_plan_file(tmp_path))
    assert all(c["created"] == c["updated"] == 0 for c in counts.values())
    load_plan()
    assert AuditEvent.objects.filter(action="plan_load").count() == events
    assert Plan.objects.count() == 2 and IndicatorTarget.objects.count() == 16 + 4


def test_monitoring_page_picks_the_plan(client, drafter, two_plans):
    first, second = two_plans
    client.force_login(drafter)
    html = client.get(PAGE, {"piano": "2024-2025"}).content.decode()
    assert "Piano operativo attività internazionale 2024-2025" in html
    assert "Determina di adozione n. 12345 del 15/03/2024" in html
    assert len(re.findall(r'<article id="indicatore-\d+"', html)) == 2
    assert len(re.findall(r'<tr id="azione-\d+"', html)) == 2
    assert "Target 2024" in html and "Target 2025" in html and "Target 2022" not in html
    # the year choices of the form are the plan's own
    assert '<option value="2024">' in html and '<option value="2022">' not in html
    # the picker offers both plans
    assert 'value="2022-2023"' in html and 'value="2024-2025" selected' in html
    first_html = client.get(PAGE, {"piano": "2022-2023"}).content.decode()
    assert len(re.findall(r'<article id="indicatore-\d+"', first_html)) == 8
    assert "Target 2022" in first_html and "Target 2024" not in first_html
    assert client.get(PAGE, {"piano": "nessuno"}).status_code == 404


def test_actuals_are_recorded_for_the_years_of_the_indicators_plan(client, drafter, two_plans):
    first, second = two_plans
    new_delegations = Indicator.objects.get(plan=second, number=1)
    old_delegations = Indicator.objects.get(plan=first, number=1)
    client.force_login(drafter)
    response = client.post(reverse("plan:actual_record"),
                           {"piano": "2024-2025", "indicator": new_delegations.pk, "year": "2024", "value": "7"})
    assert response.status_code == 302 and "piano=2024-2025" in response["Location"]
    assert IndicatorActual.objects.get(indicator=new_delegations).year == 2024
    event = AuditEvent.objects.filter(action="indicator_actual_record").latest("id")
    assert event.detail["plan"] == "2024-2025" and event.detail["target"] == 20
    # a year outside the plan's period is refused, and so is another plan's indicator in this plan's form
    with pytest.raises(ServiceError):
        indicator_actual_record(indicator=new_delegations, year=2023, value=1, actor=drafter)
    response = client.post(reverse("plan:actual_record"),
                           {"piano": "2024-2025", "indicator": old_delegations.pk, "year": "2024", "value": "3"})
    assert response.status_code == 400
    assert IndicatorActual.objects.count() == 1


def test_export_plan_names_the_plan(two_plans, capsys):
    import json

    call_command("export_plan", "--plan", "2024-2025")
    exported = json.loads(capsys.readouterr().out)
    assert exported["plan"]["years"] == [2024, 2025]
    assert exported["indicators"][0]["targets"] == {"2024": 20, "2025": 25}
    assert exported["indicators"][0]["target_2024"] == 20
    with pytest.raises(CommandError):
        call_command("export_plan", "--plan", "1999-2000")


@pytest.mark.parametrize("change, message", [
    ({"source": {"code": "x", "title": "Piano", "period": "2025-2024"}}, "l'ultimo anno precede il primo"),
    ({"source": {"code": "x", "title": "Piano", "period": "biennio"}}, "periodo non valido"),
    ({"indicators": [{"number": 1, "expected_result": "r", "name": "n", "objectives": [1],
                      "targets": {2024: 3}}]}, "target per gli anni [2024]"),
    ({"indicators": [{"number": 1, "expected_result": "r", "name": "n", "objectives": [1],
                      "targets": {2024: -1, 2025: 2}}]}, "target 2024 non valido"),
])
def test_an_incoherent_plan_file_is_refused_and_nothing_is_written(db, tmp_path, change, message):
    path = second_plan_file(tmp_path, **change)
    with pytest.raises(CommandError, match=re.escape(message)):
        call_command("load_plan", str(path), stdout=io.StringIO())
    assert not Plan.objects.exists() and not Objective.objects.exists() and not Action.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_migration_makes_the_loaded_plan_the_first_plan_with_its_targets_as_rows():
    # given the plan tables as they were before plans had a period (targets in two columns)
    executor = MigrationExecutor(connection)
    before = [("agreements", "0011_merge_procedure_notifications")]
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    objective = old.get_model("agreements", "Objective").objects.create(number=1, title="Obiettivo")
    old.get_model("agreements", "Action").objects.create(number=1, objective="o", title="t", short_title="s",
                                                          timing="2022")
    indicator = old.get_model("agreements", "Indicator").objects.create(
        number=1, expected_result="r", name="n. eventi realizzati", target_2022=2, target_2023=3)
    indicator.objectives.add(objective)
    # when the migrations run
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    # then the rows belong to the 2022-2023 plan and the targets are rows per year
    plan = Plan.objects.get()
    assert (plan.code, plan.years) == ("2022-2023", [2022, 2023])
    assert Objective.objects.get().plan == plan and Action.objects.get().plan == plan
    migrated = Indicator.objects.get()
    assert migrated.plan == plan
    assert list(migrated.targets.values_list("year", "value")) == [(2022, 2), (2023, 3)]
