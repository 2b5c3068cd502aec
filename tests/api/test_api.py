"""The JSON API: token authentication, the same visibility as the pages, proposals and task completion through
the lifecycle services, JSON errors that change nothing, and a valid OpenAPI 3 schema."""

import datetime
import hashlib
import json

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from openapi_spec_validator import validate

from agreements.accounts.services import api_token_issue, api_user
from agreements.models import Agreement, AuditEvent, Indicator, Opinion, OpinionKind, Status, UserToken
from agreements.plan.services import indicator_actual_record
from tests.support.factories import CounterpartFactory, referent
from tests.support.lifecycle import open_steps, task_of


class Api:
    """The Django test client speaking JSON with a bearer key, through the real URLs and middleware."""

    def __init__(self, client, user=None, key=None):
        self.client = client
        self.key = key if key is not None else (api_token_issue(user=user, actor=user).key if user else None)

    def _headers(self):
        return {"Authorization": f"Bearer {self.key}"} if self.key else {}

    def get(self, path, params=None):
        return self.client.get(f"/api{path}", params or {}, headers=self._headers())

    def post(self, path, payload=None, raw=None):
        body = raw if raw is not None else json.dumps(payload or {})
        return self.client.post(f"/api{path}", body, content_type="application/json", headers=self._headers())


def detail_of(response, status):
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"] == "application/json; charset=utf-8"
    body = response.json()
    assert isinstance(body["detail"], str) and body["detail"]
    return body


def nothing_written(before_agreements, before_events):
    assert Agreement.objects.count() == before_agreements
    assert AuditEvent.objects.count() == before_events


# --- schema and authentication -------------------------------------------------------------------------------

def test_openapi_schema_is_valid_openapi_3_with_every_endpoint(client, db):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    validate(schema)  # raises on an invalid OpenAPI document
    assert schema["openapi"].startswith("3.")
    assert {"/api/agreements", "/api/agreements/{reference}", "/api/tasks/{task_id}/complete", "/api/plan",
            "/api/plan/indicators", "/api/counterparts"} <= set(schema["paths"])
    assert "BearerKey" in schema["components"]["securitySchemes"]
    assert "422" in schema["paths"]["/api/agreements"]["post"]["responses"]


@pytest.mark.parametrize("header", [None, "Bearer not-a-key", "Token abc", "Bearer "])
def test_missing_or_wrong_key_is_401_json(client, drafter, register_agreements, header):
    headers = {"Authorization": header} if header else {}
    response = client.get("/api/agreements", headers=headers)
    body = detail_of(response, 401)
    assert "Bearer" in body["detail"] and response["WWW-Authenticate"] == "Bearer"


def test_new_key_retires_the_old_one_and_inactive_users_are_refused(client, drafter, register_agreements):
    old = Api(client, drafter)
    assert old.get("/agreements").status_code == 200
    new = Api(client, drafter)
    detail_of(old.get("/agreements"), 401)
    assert new.get("/agreements").status_code == 200
    drafter.is_active = False
    drafter.save()
    detail_of(new.get("/agreements"), 401)


def test_only_the_keys_hash_is_stored_and_the_hash_is_no_key(client, drafter, register_agreements):
    token = api_token_issue(user=drafter, actor=drafter)
    stored = UserToken.objects.get(pk=token.pk)
    assert stored.key is None and stored.key_hash == hashlib.sha256(token.key.encode()).hexdigest()
    assert stored.prefix == token.key[:8] and token.key not in stored.key_hash
    assert Api(client, key=token.key).get("/agreements").status_code == 200
    detail_of(Api(client, key=stored.key_hash).get("/agreements"), 401)


@pytest.mark.django_db(transaction=True)
def test_migration_hashes_the_clear_keys_in_place(drafter):
    # a key stored in clear before migration 0009, as the old code did
    executor = MigrationExecutor(connection)
    executor.migrate([("agreements", "0008_delete_loginfailure")])
    clear = "clear-key-of-before-0009-" + "x" * 20
    old_apps = executor.loader.project_state([("agreements", "0008_delete_loginfailure")]).apps
    old_apps.get_model("agreements", "UserToken").objects.create(user_id=drafter.pk, purpose="api", key=clear)
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    token = UserToken.objects.get(user=drafter)
    assert token.key_hash == hashlib.sha256(clear.encode()).hexdigest() and token.prefix == clear[:8]
    assert api_user(clear) == drafter


def test_api_token_command_prints_a_working_key(client, drafter, register_agreements, capsys):
    call_command("api_token", drafter.username)
    key = capsys.readouterr().out.strip()
    assert Api(client, key=key).get("/agreements").json()["count"] == 3
    assert AuditEvent.objects.filter(action="api_token_issue", detail__user=drafter.username).count() == 1
    call_command("api_token", drafter.username, "--revoke")
    detail_of(Api(client, key=key).get("/agreements"), 401)


# --- reading with visibility ---------------------------------------------------------------------------------

def test_list_holds_what_the_user_may_see(client, drafter, plan_referent_agri, register_agreements):
    office = Api(client, drafter).get("/agreements", {"ordering": "reference"}).json()
    assert office["count"] == 3
    assert [a["reference"] for a in office["items"]] == ["INT-2022-001", "INT-2022-002", "INT-2022-003"]
    aquitaine = office["items"][0]
    assert aquitaine["status"] == "in_force" and aquitaine["status_label"] == "In vigore"
    assert aquitaine["dgs"] == ["dg-agri", "dg-crli"] and aquitaine["plan_actions"] == ["2022-2023/1"]
    assert (aquitaine["signed_on"], aquitaine["end_date"]) == ("2022-04-20", "2025-04-27")
    referent_list = Api(client, plan_referent_agri).get("/agreements").json()
    assert referent_list["count"] == 1 and [a["reference"] for a in referent_list["items"]] == ["INT-2022-001"]


def test_list_applies_the_register_filters_and_pages(client, drafter, register_agreements, plan_dg_crli):
    api = Api(client, drafter)
    assert [a["reference"] for a in api.get("/agreements", {"status": "consultation"}).json()["items"]] == [
        "INT-2022-003"]
    crli = api.get("/agreements", {"dg": plan_dg_crli.pk, "q": "penn"}).json()
    assert [a["reference"] for a in crli["items"]] == ["INT-2022-002"]
    page = api.get("/agreements", {"ordering": "reference", "limit": 2, "offset": 2}).json()
    assert (page["count"], [a["reference"] for a in page["items"]]) == (3, ["INT-2022-003"])


@pytest.mark.parametrize("params, field", [
    ({"expiring_before": "domani"}, "expiring_before"),
    ({"status": "boh"}, "status"),
    ({"limit": 0}, "limit"),
    ({"dg": 999999}, "dg"),
])
def test_bad_filter_is_422_naming_the_field(client, drafter, register_agreements, params, field):
    body = detail_of(Api(client, drafter).get("/agreements", params), 422)
    assert body["detail"].startswith(("Dati non validi", "Filtri non validi"))
    assert any(e["field"] == field for e in body["errors"])


def test_referent_gets_404_for_another_dgs_agreement(client, plan_referent_agri, drafter, register_agreements):
    api = Api(client, plan_referent_agri)
    body = detail_of(api.get("/agreements/INT-2022-002"), 404)
    assert body["detail"] == "Accordo non trovato"
    detail_of(api.get("/agreements/NON-ESISTE"), 404)
    own = api.get("/agreements/INT-2022-001")
    assert own.status_code == 200 and own.json()["reference"] == "INT-2022-001"
    assert Api(client, drafter).get("/agreements/INT-2022-002").json()["counterpart"] == "Pennsylvania"


def test_plan_and_indicators(client, drafter, plan_referent_agri, register_agreements):
    indicator_actual_record(indicator=Indicator.objects.get(number=2), year=2022, value=9, actor=drafter,
                            reason="Incontri non registrati")
    plan = Api(client, plan_referent_agri).get("/plan").json()
    assert len(plan["objectives"]) == 6 and len(plan["actions"]) == 16 and len(plan["indicators"]) == 8
    linked = {a["number"]: [x["reference"] for x in a["agreements"]] for a in plan["actions"]}
    assert linked[1] == ["INT-2022-001"] and linked[7] == [] and linked[2] == []  # referent: own DG only
    meetings = Api(client, drafter).get("/plan/indicators").json()[1]
    assert meetings["name"] == "n. incontri diplomatici realizzati"
    assert meetings["years"] == [{"year": 2022, "target": 12, "actual": 9},
                                 {"year": 2023, "target": 15, "actual": None}]


# --- proposals and tasks -------------------------------------------------------------------------------------

@pytest.fixture
def proposal(plan_dg_agri, plan_dg_crli):
    referent(plan_dg_agri, "referente-agri")  # each DG of a proposal needs an active referent
    referent(plan_dg_crli, "referente-crli")
    CounterpartFactory(name="Québec", country="Canada", country_code="CA", type="federated_state")
    return {"title": "Intesa con il Québec", "kind": "intesa", "counterpart": "Québec",
            "dgs": ["dg-agri", "dg-crli"], "plan_actions": [8], "languages": ["it", "fr"],
            "duration_months": 36, "director": "dirigente"}


def test_drafter_starts_a_proposal_and_its_procedure(client, drafter, director, proposal):
    response = Api(client, drafter).post("/agreements", proposal)
    assert response.status_code == 201, response.content
    body = response.json()
    agreement = Agreement.objects.get(reference=body["reference"])
    assert (agreement.title, agreement.drafted_by, agreement.director) == ("Intesa con il Québec", drafter, director)
    assert sorted(agreement.dgs.values_list("code", flat=True)) == ["dg-agri", "dg-crli"]
    assert body["status"] == Status.NEGOTIATION and body["plan_actions"] == ["2022-2023/8"]
    # Statuto art. 13 c. 2: the procedure opens with the informativa to the Assembly, the secretariat's task.
    assert [(t["step"], t["may_complete"]) for t in body["open_tasks"]] == [("inform_assembly_start", False)]
    assert body["open_tasks"][0]["fields"] == ["date", "protocol"]
    assert AuditEvent.objects.get(action="agreement_create", agreement=agreement).actor == drafter


@pytest.mark.parametrize("change, field", [
    ({"title": ""}, "title"),
    ({"kind": "trattato"}, "kind"),
    ({"counterpart": "Atlantide"}, "counterpart"),
    ({"dgs": ["dg-inesistente"]}, "dgs"),
    ({"plan_actions": [99]}, "plan_actions"),
    ({"duration_months": "tre anni"}, "duration_months"),
    ({"director": "redattore"}, "director"),
    ({"colour": "blu"}, "colour"),
    ({"renewal_clause": "tacit"}, None),  # tacit renewal needs the notice days: the service refuses it
])
def test_bad_proposal_is_refused_with_json_and_nothing_written(client, drafter, director, proposal, change, field):
    api = Api(client, drafter)
    before = (Agreement.objects.count(), AuditEvent.objects.count())
    response = api.post("/agreements", {**proposal, **change})
    if field is None:
        body = detail_of(response, 400)
        assert "preavviso" in body["detail"]
    else:
        body = detail_of(response, 422)
        assert field in body["detail"] and any(e["field"] == field for e in body["errors"])
    nothing_written(*before)


def test_malformed_json_and_missing_body_are_refused(client, drafter, proposal):
    api = Api(client, drafter)
    before = (Agreement.objects.count(), AuditEvent.objects.count())
    assert detail_of(api.post("/agreements", raw="{title: "), 400)["detail"] == (
        "Il corpo della richiesta non è JSON valido.")
    detail_of(api.post("/agreements", raw=""), 422)
    nothing_written(*before)


def test_only_drafters_start_proposals(client, observer, plan_referent_agri, proposal):
    for user in (observer, plan_referent_agri):
        api = Api(client, user)
        before = (Agreement.objects.count(), AuditEvent.objects.count())
        body = detail_of(api.post("/agreements", proposal), 403)
        assert "redattori" in body["detail"]
        nothing_written(*before)


def test_tasks_are_completed_by_who_has_the_right(client, drafter, director, secretariat, proposal, plan_dg_agri,
                                                 plan_dg_crli, plan_referent_agri, plan):
    drafter_api = Api(client, drafter)
    reference = drafter_api.post("/agreements", proposal).json()["reference"]
    agreement = Agreement.objects.get(reference=reference)

    # the secretariat records the initial informativa to the Assembly; the drafter may not
    inform = task_of(agreement, "inform_assembly_start")
    data = {"step": "inform_assembly_start",
            "data": {"date": timezone.localdate().isoformat(), "protocol": "AL/2026/1"}}
    detail_of(drafter_api.post(f"/tasks/{inform.pk}/complete", data), 403)
    body = Api(client, secretariat).post(f"/tasks/{inform.pk}/complete", data).json()
    assert [t["step"] for t in body["open_tasks"]] == ["negotiate"]

    # the drafter marks the text agreed: one consultation task per DG follows
    negotiate = task_of(agreement, "negotiate")
    agreed = {"step": "negotiate", "data": {"confirm": True}}
    body = drafter_api.post(f"/tasks/{negotiate.pk}/complete", agreed).json()
    assert body["status"] == Status.CONSULTATION
    assert sorted(t["dg"] for t in body["open_tasks"]) == ["DG AGRI", "DG CRLI"]
    assert not any(t["may_complete"] for t in body["open_tasks"])  # the drafter gives no opinion

    # completing it again is a conflict
    detail_of(drafter_api.post(f"/tasks/{negotiate.pk}/complete", agreed), 409)

    agri_task = task_of(agreement, "consult_dg", plan_dg_agri)
    agri_api = Api(client, plan_referent_agri)
    crli_api = Api(client, referent(plan_dg_crli, "referente-crli"))
    reii_api = Api(client, referent(plan["dgs"]["dg-reii"], "referente-reii"))
    before = (Agreement.objects.count(), AuditEvent.objects.count())
    # DG CRLI sees the agreement but may not answer for DG AGRI; DG REII does not even see it
    favourable = {"step": "consult_dg", "data": {"kind": "favourable"}}
    detail_of(crli_api.post(f"/tasks/{agri_task.pk}/complete", favourable), 403)
    detail_of(reii_api.post(f"/tasks/{agri_task.pk}/complete", favourable), 404)
    detail_of(reii_api.get(f"/agreements/{reference}"), 404)
    # a malformed opinion is 422 naming the field, and the task stays open
    body = detail_of(agri_api.post(f"/tasks/{agri_task.pk}/complete",
                                   {"step": "consult_dg", "data": {"kind": "forse"}}), 422)
    assert body["errors"][0]["field"] == "data.kind"
    detail_of(agri_api.post(f"/tasks/{agri_task.pk}/complete", {"payload": {"kind": "favourable"}}), 422)
    detail_of(agri_api.post("/tasks/999999/complete", {"step": "negotiate", "data": {"confirm": True}}), 404)
    nothing_written(*before)
    assert Opinion.objects.get(agreement=agreement, dg=plan_dg_agri).kind == OpinionKind.PENDING
    assert "consult_dg" in open_steps(agreement)

    # the DG AGRI referent gives the opinion
    body = agri_api.post(f"/tasks/{agri_task.pk}/complete",
                         {"step": "consult_dg",
                          "data": {"kind": "favourable_remarks", "notes": "Coinvolgere i consorzi"}}).json()
    opinion = Opinion.objects.get(agreement=agreement, dg=plan_dg_agri)
    assert (opinion.kind, opinion.given_by) == (OpinionKind.FAVOURABLE_REMARKS, plan_referent_agri)
    assert [t["dg"] for t in body["open_tasks"]] == ["DG CRLI"]


def test_user_manages_their_own_key_from_a_page(client, drafter, nogroup_user, register_agreements):
    client.force_login(drafter)
    url = "/esportazioni/chiave-api/"
    assert "Non hai una chiave API attiva." in client.get(url).content.decode()
    page = client.post(url, {"action": "issue"}).content.decode()
    key = page.split('id="api-key-value" type="text" readonly value="')[1].split('"')[0]
    assert Api(client, key=key).get("/agreements").json()["count"] == 3
    assert key not in client.get(url).content.decode()  # shown once
    client.post(url, {"action": "issue"})
    detail_of(Api(client, key=key).get("/agreements"), 401)
    assert client.post(url, {"action": "revoke"}).status_code == 302
    assert "Non hai una chiave API attiva." in client.get(url).content.decode()
    assert list(AuditEvent.objects.filter(actor=drafter, action__startswith="api_token").order_by("id")
                .values_list("action", flat=True)) == ["api_token_issue", "api_token_issue", "api_token_revoke"]
    client.force_login(nogroup_user)
    assert client.post(url, {"action": "issue"}).status_code == 403


# --- the schema is the contract: limits, strict types, JSON errors (issue 14) ----------------------------------

def giunta_body(**data):
    return {"step": "giunta", "data": {"dgr_number": "1234/2026", "dgr_date": "2026-01-10", **data}}


@pytest.mark.parametrize("params, field", [
    ({"offset": "9223372036854775808"}, "offset"),
    ({"offset": "-1"}, "offset"),
    ({"limit": "501"}, "limit"),
    ({"dg": "0"}, "dg"),
    ({"plan_action": "99999999999"}, "plan_action"),
    ({"q": "a\x00b"}, "q"),
    ({"country": "x" * 101}, "country"),
    ({"expiring_before": "9999-12-31"}, "expiring_before"),
    ({"expiring_before": "20261201"}, "expiring_before"),
])
def test_register_query_out_of_bounds_is_422_naming_the_parameter(client, drafter, register_agreements, params,
                                                                   field):
    body = detail_of(Api(client, drafter).get("/agreements", params), 422)
    assert [e["field"] for e in body["errors"]] == [field]


@pytest.mark.parametrize("change, field", [
    ({"title": "Intesa\x00"}, "title"),
    ({"counterpart": "Qu\x00ébec"}, "counterpart"),
    ({"director": "dirig\x00ente"}, "director"),
    ({"dgs": ["dg-agri\x00"]}, "dgs.0"),
    ({"languages": ["it", "f\x00r"]}, "languages.1"),
    ({"subject_areas": ["agri\x07coltura"]}, "subject_areas.0"),
    ({"title": "Intesa\ud800"}, "title"),
    ({"subject_areas": ["x" * 2_000_000]}, "subject_areas.0"),
    ({"languages": ["it"] * 20_000}, "languages"),
    ({"duration_months": "12"}, "duration_months"),
    ({"duration_months": True}, "duration_months"),
    ({"duration_months": 1201}, "duration_months"),
    ({"binding": "yes"}, "binding"),
    ({"binding": 1}, "binding"),
    ({"plan_actions": ["8"]}, "plan_actions.0"),
    ({"estimated_cost": ""}, "estimated_cost"),
    ({"estimated_cost": "1000"}, "estimated_cost"),
    ({"estimated_cost": 10.005}, "estimated_cost"),
    ({"estimated_cost": 1e12}, "estimated_cost"),
    ({"title": 12345}, "title"),
])
def test_proposal_outside_the_schema_is_422_naming_the_field_and_writes_nothing(client, drafter, director, proposal,
                                                                               change, field):
    api = Api(client, drafter)
    before = (Agreement.objects.count(), AuditEvent.objects.count())
    body = detail_of(api.post("/agreements", {**proposal, **change}), 422)
    assert field in [e["field"] for e in body["errors"]], body
    nothing_written(*before)


def test_proposal_at_the_limits_of_the_schema_is_accepted(client, drafter, director, proposal):
    body = Api(client, drafter).post("/agreements", {
        **proposal, "title": "T" * 300, "subject_areas": ["a" * 200] * 50, "duration_months": 1200,
        "estimated_cost": 9999999999.99, "binding": False}).json()
    agreement = Agreement.objects.get(reference=body["reference"])
    assert (len(agreement.title), len(agreement.subject_areas), str(agreement.estimated_cost)) == (
        300, 50, "9999999999.99")


@pytest.mark.parametrize("body, field", [
    (giunta_body(dgr_date=20261201), "data.dgr_date"),
    (giunta_body(dgr_date=True), "data.dgr_date"),
    (giunta_body(dgr_date=["2026-01-10"]), "data.dgr_date"),
    (giunta_body(dgr_date={"y": 2026}), "data.dgr_date"),
    (giunta_body(dgr_date="9999-12-31"), "data.dgr_date"),
    (giunta_body(dgr_date="2026-02-30"), "data.dgr_date"),
    (giunta_body(dgr_number=12345), "data.dgr_number"),
    (giunta_body(dgr_number="1\x00/2026"), "data.dgr_number"),
    (giunta_body(bogus=1), "data.bogus"),
    ({"step": "consult_dg", "data": {"kind": "favourable", "bogus": 1}}, "data.bogus"),
    ({"step": "consult_dg", "data": {}}, "data.kind"),
    ({"step": "negotiate", "data": {"confirm": "true"}}, "data.confirm"),
    ({"step": "negotiate", "data": {"confirm": False}}, "data.confirm"),
    ({"step": "qualify", "data": {"creates_commitments": True, "reason": "x"}}, "data.creates_commitments"),
    ({"step": "nessuno", "data": {}}, "step"),
    ({"data": {"kind": "favourable"}}, "step"),
    ({"step": "consult_dg", "data": {"kind": "favourable"}, "extra": 1}, "extra"),
])
def test_task_data_outside_the_steps_schema_is_422_naming_the_field(client, drafter, body, field):
    response = Api(client, drafter).post("/tasks/1/complete", body)
    assert field in [e["field"] for e in detail_of(response, 422)["errors"]]


def test_task_of_another_step_is_422_on_step_and_the_task_stays_open(client, drafter, director, secretariat,
                                                                     proposal):
    reference = Api(client, drafter).post("/agreements", proposal).json()["reference"]
    agreement = Agreement.objects.get(reference=reference)
    inform = task_of(agreement, "inform_assembly_start")
    api = Api(client, secretariat)
    before = (Agreement.objects.count(), AuditEvent.objects.count())
    body = detail_of(api.post(f"/tasks/{inform.pk}/complete", giunta_body()), 422)
    assert body["errors"] == [{"field": "step", "message": "L'attività è del passo inform_assembly_start."}]
    nothing_written(*before)
    assert open_steps(agreement) == ["inform_assembly_start"]


def test_openapi_publishes_one_schema_per_step(client, db):
    schema = client.get("/api/openapi.json").json()
    body = schema["paths"]["/api/tasks/{task_id}/complete"]["post"]["requestBody"]["content"]["application/json"]
    mapping = body["schema"]["discriminator"]["mapping"]
    assert {"consult_dg", "approve", "giunta", "sign", "ratify", "publish", "qualify"} <= set(mapping)
    opinion = schema["components"]["schemas"]["ConsultDgData"]
    assert opinion["additionalProperties"] is False and opinion["required"] == ["kind"]
    assert opinion["properties"]["kind"]["enum"] == ["favourable", "favourable_remarks", "unfavourable"]
    assert opinion["properties"]["notes"]["maxLength"] == 5000
    giunta = schema["components"]["schemas"]["GiuntaData"]
    assert giunta["properties"]["dgr_date"]["format"] == "date"
    proposal = schema["components"]["schemas"]["ProposalIn"]
    assert proposal["additionalProperties"] is False
    assert proposal["properties"]["subject_areas"]["maxItems"] == 50
    assert proposal["properties"]["subject_areas"]["items"]["maxLength"] == 200


def test_body_over_the_upload_limit_is_413_json_and_writes_nothing(client, drafter, proposal, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    api = Api(client, drafter)
    before = (Agreement.objects.count(), AuditEvent.objects.count())
    body = detail_of(api.post("/agreements", {**proposal, "title": "x" * 20_000}), 413)
    assert "10000" in body["detail"]
    nothing_written(*before)


def test_unexpected_exception_is_a_json_500_with_an_incident_logged(client, drafter, monkeypatch, caplog):
    # the one stand-in of this file: a bug nobody has yet, planted in the indicators' selector
    def broken():
        raise RuntimeError("planted")

    monkeypatch.setattr("agreements.api.plan.plan_indicators", broken)
    response = Api(client, drafter).get("/plan/indicators")
    body = detail_of(response, 500)
    assert body["incident"] and body["incident"] in body["detail"]
    assert "planted" not in response.content.decode()
    assert any(body["incident"] in record.getMessage() and record.exc_info for record in caplog.records)


def test_end_date_past_the_calendar_is_an_error_on_the_duration_not_a_crash():
    from agreements.common import dates
    from agreements.common.errors import InvalidDataError

    assert dates.end_date(datetime.date(2026, 1, 31), 1) == datetime.date(2026, 2, 28)
    with pytest.raises(InvalidDataError) as refused:
        dates.end_date(datetime.date(9999, 12, 31), 24)
    assert list(refused.value.errors) == ["duration_months"] and "9999-12-31" in refused.value.errors[
        "duration_months"][0]


def test_an_act_dated_in_the_future_is_422_naming_the_field_and_the_task_stays_open(client, drafter, director,
                                                                                     secretariat, proposal):
    from tests.support.lifecycle import complete

    # given an accordo with a State whose notices are out: the government's answer (with full powers) is due
    state = CounterpartFactory(name="Repubblica di Moldova", country="Moldova", type="state")
    body = {**proposal, "kind": "accordo", "counterpart": state.name, "dgs": []}
    agreement = Agreement.objects.get(reference=Api(client, drafter).post("/agreements", body).json()["reference"])
    today = timezone.localdate()
    complete(agreement, "inform_assembly_start", secretariat, date=today, protocol="AL/1")
    complete(agreement, "notify_negotiations", secretariat, date=today, protocol="MAECI/1", criteria="")
    complete(agreement, "negotiate", drafter, confirm=True)
    complete(agreement, "approve", director, decision="approve", remarks="")
    complete(agreement, "giunta", secretariat, dgr_number="57/2026", dgr_date=today)
    complete(agreement, "notify_government", secretariat, date=today, protocol="PG/1")
    complete(agreement, "transmit_assembly", secretariat, date=today, protocol="AL/2")
    task = task_of(agreement, "record_observations")
    api = Api(client, secretariat)
    tomorrow = (today + datetime.timedelta(days=1)).isoformat()
    answer = {"outcome": "nulla_osta", "date": today.isoformat(), "full_powers_date": today.isoformat(),
              "full_powers_protocol": "MAECI/77"}
    before = (Agreement.objects.count(), AuditEvent.objects.count())
    # when the full powers, or the nulla osta, are dated tomorrow
    for field in ("full_powers_date", "date"):
        refused = detail_of(api.post(f"/tasks/{task.pk}/complete",
                                     {"step": "record_observations", "data": {**answer, field: tomorrow}}), 422)
        # then the answer names the field as the client sent it, with the reason, and nothing is written
        [error] = refused["errors"]
        assert error["field"] == f"data.{field}" and "non può essere futura" in error["message"], refused
        assert refused["detail"] == error["message"]
    nothing_written(*before)
    assert open_steps(agreement) == ["record_observations"]
    # and the same answer dated today is taken
    api.post(f"/tasks/{task.pk}/complete", {"step": "record_observations", "data": answer})
    assert open_steps(agreement) == ["report_outcome"]


def _intesa_at_the_giunta(client, drafter, director, secretariat, proposal):
    """An intesa (no DG to consult) approved by the director today: the Giunta's DGR is due."""
    from tests.support.lifecycle import complete

    body = {**proposal, "dgs": []}
    agreement = Agreement.objects.get(reference=Api(client, drafter).post("/agreements", body).json()["reference"])
    today = timezone.localdate()
    complete(agreement, "inform_assembly_start", secretariat, date=today, protocol="AL/1")
    complete(agreement, "negotiate", drafter, confirm=True)
    complete(agreement, "approve", director, decision="approve", remarks="")
    return agreement


def test_a_dgr_dated_before_the_directors_approval_is_400_naming_the_field_and_changes_nothing(
        client, drafter, director, secretariat, proposal):
    # given an intesa the director approved today
    agreement = _intesa_at_the_giunta(client, drafter, director, secretariat, proposal)
    task = task_of(agreement, "giunta")
    api = Api(client, secretariat)
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    before = (Agreement.objects.count(), AuditEvent.objects.count())
    # when the secretariat records a DGR dated the day before
    refused = detail_of(api.post(f"/tasks/{task.pk}/complete", giunta_body(
        dgr_number=f"57/{yesterday.year}", dgr_date=yesterday.isoformat())), 400)
    # then 400 names the field as the client sent it, with the reason, and nothing is written
    assert refused["errors"] == [{"field": "data.dgr_date", "message": refused["detail"]}], refused
    assert "non può precedere l'approvazione del dirigente" in refused["detail"]
    nothing_written(*before)
    agreement.refresh_from_db()
    assert agreement.status == Status.GIUNTA and not agreement.dgr_date
    assert open_steps(agreement) == ["giunta"]
    # and the same DGR dated today is taken
    today = timezone.localdate()
    api.post(f"/tasks/{task.pk}/complete", giunta_body(dgr_number=f"57/{today.year}", dgr_date=today.isoformat()))
    assert open_steps(agreement) == ["notify_government", "transmit_assembly"]


def test_a_signature_inside_the_30_day_wait_is_400_naming_the_field_and_changes_nothing(
        client, drafter, director, secretariat, proposal):
    import time_machine

    from tests.support.lifecycle import complete, through_coordination
    from workflows import services as wf

    day = datetime.date
    with time_machine.travel(datetime.datetime(2026, 1, 12, 9, 0, tzinfo=datetime.UTC), tick=False) as clock:
        # given an intesa whose notice the Foreign Ministry received on 16 January: the wait ends on 15 February
        agreement = _intesa_at_the_giunta(client, drafter, director, secretariat, proposal)
        complete(agreement, "giunta", secretariat, dgr_number="57/2026", dgr_date=day(2026, 1, 12))
        clock.move_to(datetime.datetime(2026, 1, 16, 9, 0, tzinfo=datetime.UTC))
        complete(agreement, "notify_government", secretariat, date=day(2026, 1, 12), protocol="PG/1",
                 dar_received_on=day(2026, 1, 14), maeci_received_on=day(2026, 1, 16))
        complete(agreement, "transmit_assembly", secretariat, date=day(2026, 1, 12), protocol="AL/2")
        clock.move_to(datetime.datetime(2026, 2, 16, 9, 0, tzinfo=datetime.UTC))
        wf.timers_fire_due()
        through_coordination(agreement, secretariat, dgr_number="90/2026")
        task = task_of(agreement, "sign")
        api = Api(client, drafter)
        sign = {"place": "Bordeaux", "region_signatory_office": "president",
                "region_signatory_name": "Michele de Pascale"}
        before = (Agreement.objects.count(), AuditEvent.objects.count())
        # when the drafter records the signature on day 30 after the later receipt
        refused = detail_of(api.post(f"/tasks/{task.pk}/complete",
                                     {"step": "sign", "data": {**sign, "date": "2026-02-15"}}), 400)
        # then 400 names the field, with the first day allowed, and nothing is written
        assert refused["errors"] == [{"field": "data.date", "message": refused["detail"]}], refused
        assert "La firma non può precedere il 16/02/2026" in refused["detail"]
        nothing_written(*before)
        agreement.refresh_from_db()
        assert agreement.status == Status.SIGNATURE and not agreement.signed_on
        assert open_steps(agreement) == ["sign"]
        # and on day 31 it is taken
        api.post(f"/tasks/{task.pk}/complete", {"step": "sign", "data": {**sign, "date": "2026-02-16"}})
        agreement.refresh_from_db()
        assert agreement.status == Status.RATIFICATION
