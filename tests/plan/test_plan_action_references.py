"""With two plans loaded, each numbering its actions from 1, a plan action is named with its plan
("2024-2025/1") in the records API, the workflow API's proposals and the register import; a number alone still
works where only one plan has it, and an ambiguous or unknown one is refused naming the field or the row."""

import datetime
import io
import json
import re

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from agreements.models import Action, Agreement, AuditEvent
from tests.api.test_api import Api, detail_of, nothing_written
from tests.plan.test_plan_periods import second_plan_file
from tests.registry_import.test_import_register import run, xlsx
from tests.support.factories import CounterpartFactory, referent
from tests.support.register import *  # noqa: F403

D = datetime.date


@pytest.fixture
def two_plans(plan, tmp_path):
    call_command("load_plan", str(second_plan_file(tmp_path)), stdout=io.StringIO())
    return {action.plan.code + "/" + str(action.number): action for action in Action.objects.select_related("plan")}


@pytest.fixture
def proposal(plan_dg_agri, plan_dg_crli, director):
    referent(plan_dg_agri, "referente-agri")
    referent(plan_dg_crli, "referente-crli")
    CounterpartFactory(name="Québec", country="Canada", country_code="CA", type="federated_state")
    return {"title": "Intesa con il Québec", "kind": "intesa", "counterpart": "Québec",
            "dgs": ["dg-agri"], "languages": ["it", "fr"], "director": "dirigente"}


def test_proposal_names_actions_with_their_plan_and_an_ambiguous_number_is_refused(client, drafter, two_plans,
                                                                                  proposal):
    api = Api(client, drafter)
    before = (Agreement.objects.count(), AuditEvent.objects.count())
    # given two plans that both have actions 1 and 2: the number 1 alone names neither, and nothing is written
    body = detail_of(api.post("/agreements", {**proposal, "plan_actions": [1]}), 422)
    (error,) = [e for e in body["errors"] if e["field"] == "plan_actions"]
    assert "2022-2023/1" in error["message"] and "2024-2025/1" in error["message"], error
    nothing_written(*before)
    # an unknown plan or action, and a malformed reference, are refused on the field too
    for refs, field in ([["2030-2031/1"]], "plan_actions"), ([["2024-2025/9"]], "plan_actions"), \
            ([["azione 1"]], "plan_actions.0"), ([[True]], "plan_actions.0"):
        body = detail_of(api.post("/agreements", {**proposal, "plan_actions": refs[0]}), 422)
        assert field in [e["field"] for e in body["errors"]], body
    nothing_written(*before)
    # when the proposal names the plan, and uses a number only the first plan has (8: the old form still works)
    response = api.post("/agreements", {**proposal, "plan_actions": ["2024-2025/1", 8]})
    # then the agreement serves the second plan's action 1 and the first plan's action 8, and says so
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["plan_actions"] == ["2022-2023/8", "2024-2025/1"]
    agreement = Agreement.objects.get(reference=body["reference"])
    assert set(agreement.plan_actions.all()) == {two_plans["2024-2025/1"], two_plans["2022-2023/8"]}


def test_the_openapi_schema_documents_the_reference(client, db):
    schema = json.loads(client.get("/api/openapi.json").content)
    proposal = schema["components"]["schemas"]["ProposalIn"]["properties"]["plan_actions"]
    assert "<codice piano>/<numero>" in proposal["description"]
    assert any(option.get("pattern") for option in proposal["items"]["oneOf"])
    listing = [p for p in schema["paths"]["/api/agreements"]["get"]["parameters"] if p["name"] == "plan_action"]
    assert "<codice piano>/<numero>" in listing[0]["description"]


def test_register_api_lists_and_filters_actions_by_plan(client, drafter, two_plans, register_agreements):
    aquitaine = register_agreements["aquitaine"]
    aquitaine.plan_actions.add(two_plans["2024-2025/1"])
    api = Api(client, drafter)
    # the list names each action with its plan: the two actions 1 are told apart
    items = {a["reference"]: a for a in api.get("/agreements").json()["items"]}
    assert items[aquitaine.reference]["plan_actions"] == ["2022-2023/1", "2024-2025/1"]
    assert api.get(f"/agreements/{aquitaine.reference}").json()["plan_actions"] == ["2022-2023/1", "2024-2025/1"]
    # the filter takes the reference (or the action's id, the old form)
    second = api.get("/agreements", {"plan_action": "2024-2025/1"}).json()
    assert [a["reference"] for a in second["items"]] == [aquitaine.reference]
    by_id = api.get("/agreements", {"plan_action": str(two_plans["2022-2023/7"].pk)}).json()
    assert [a["reference"] for a in by_id["items"]] == [register_agreements["pennsylvania"].reference]
    # an unknown reference is a 422 naming the filter, not an empty list
    body = detail_of(api.get("/agreements", {"plan_action": "2030-2031/1"}), 422)
    assert "plan_action" in [e["field"] for e in body["errors"]]
    body = detail_of(api.get("/agreements", {"plan_action": "azione-1"}), 422)
    assert "plan_action" in [e["field"] for e in body["errors"]]


def _row(reference, actions):
    return [reference, f"Intesa {reference}", "Intesa", "Baviera", "Germania", "In vigore", D(2020, 1, 1),
            D(2020, 1, 1), D(2030, 1, 1), "", "DG AGRI", actions, "", None]


@pytest.mark.django_db
def test_import_names_the_plan_and_refuses_an_ambiguous_action_naming_the_row(tmp_path, admin_user, two_plans,
                                                                              time_machine):
    time_machine.move_to(D(2025, 1, 27))
    CounterpartFactory(name="Baviera", country="Germania")
    path = tmp_path / "registro.xlsx"
    # given a file whose third row names action 1 without its plan, and fourth an unknown plan
    rows = [_row("INT-2019-001", "2024-2025/1. Azione nuova 1"), _row("INT-2019-002", "8"),
            _row("INT-2019-003", "1"), _row("INT-2019-004", "2030-2031/2")]
    path.write_bytes(xlsx(rows))
    events = AuditEvent.objects.count()
    # when it is imported, it is refused naming the rows, the column and both candidates; nothing is written
    err = io.StringIO()
    with pytest.raises(CommandError, match="2 errori"):
        call_command("import_register", str(path), "--user", "amministratore", stdout=io.StringIO(), stderr=err)
    err = err.getvalue().strip().splitlines()
    assert err[0].startswith("riga 4, colonna «Azioni del piano»: ") and "2022-2023/1, 2024-2025/1" in err[0], err
    assert err[1].startswith("riga 5, colonna «Azioni del piano»: ") and "sconosciuta" in err[1], err
    assert len(err) == 2
    assert not Agreement.objects.exists() and AuditEvent.objects.count() == events
    # when the rows name the plan (or a title only one plan has), the import links the right plans' actions
    rows[2][11], rows[3][11] = "2022-2023/1", "Azione nuova 2"
    path.write_bytes(xlsx(rows))
    run(path)
    linked = {a.reference: sorted(f"{x.plan.code}/{x.number}" for x in a.plan_actions.all())
              for a in Agreement.objects.prefetch_related("plan_actions__plan")}
    assert linked == {"INT-2019-001": ["2024-2025/1"], "INT-2019-002": ["2022-2023/8"],
                      "INT-2019-003": ["2022-2023/1"], "INT-2019-004": ["2024-2025/2"]}



def test_actions_show_their_plan_and_forms_group_them_by_plan(client, drafter, two_plans, register_agreements):
    new_first = two_plans["2024-2025/1"]
    assert str(new_first) == "2024-2025/1. Azione nuova 1"
    assert str(two_plans["2022-2023/1"]).startswith("2022-2023/1. ")
    client.force_login(drafter)
    second_title = "Piano operativo attività internazionale 2024-2025"
    # the register's filter: one option group per plan, each action under its own plan
    html = client.get(reverse("agreements:register")).content.decode()
    select = re.search(r'<select name="plan_action".*?</select>', html, re.S).group(0)
    groups = dict(re.findall(r'<optgroup label="([^"]+)">(.*?)</optgroup>', select, re.S))
    assert len(groups) == 2 and second_title in groups
    assert f'<option value="{new_first.pk}">1. Azione nuova 1</option>' in groups[second_title]
    first_group = next(body for label, body in groups.items() if label != second_title)
    assert f'value="{two_plans["2022-2023/1"].pk}"' in first_group and "Azione nuova" not in first_group
    # the agreement form: the checkboxes grouped under their plan's title, the new plan's after the first's
    form = client.get(reverse("agreements:create")).content.decode()
    first_box = form.index(f'value="{two_plans["2022-2023/1"].pk}"')
    second_label = form.index(second_title)
    assert first_box < second_label < form.index(f'value="{new_first.pk}"')


def test_plan_api_serves_any_plan_by_its_code(client, drafter, two_plans, register_agreements):
    from agreements.models import Indicator
    from agreements.plan.selectors import plan_current

    api = Api(client, drafter)
    # each plan by its code: its own actions (with the agreements the user may see) and its own indicators
    for code in ("2022-2023", "2024-2025"):
        body = api.get("/plan", {"piano": code}).json()
        assert body["plan"] == code
        assert {a["id"] for a in body["actions"]} == {a.pk for ref, a in two_plans.items() if ref.startswith(code)}
        numbers = [i["number"] for i in api.get("/plan/indicators", {"piano": code}).json()]
        assert numbers == list(Indicator.objects.filter(plan__code=code).order_by("number")
                               .values_list("number", flat=True))
    first = api.get("/plan", {"piano": "2022-2023"}).json()
    action_7 = next(a for a in first["actions"] if a["id"] == two_plans["2022-2023/7"].pk)
    assert [a["reference"] for a in action_7["agreements"]] == [register_agreements["pennsylvania"].reference]
    # without a code, the current plan
    assert api.get("/plan").json()["plan"] == plan_current().code
    # an unknown plan is a 404, an unknown parameter a 422 naming it
    detail_of(api.get("/plan", {"piano": "2030-2031"}), 404)
    detail_of(api.get("/plan/indicators", {"piano": "2030-2031"}), 404)
    body = detail_of(api.get("/plan", {"anno": "2022"}), 422)
    assert "anno" in [e["field"] for e in body["errors"]]
