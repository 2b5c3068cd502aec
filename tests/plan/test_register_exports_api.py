"""Activities, stakeholders and computed indicator values in the register's export formats and in the JSON API,
with the same visibility as the pages (a DG referent: only what involves their DG); the API's strict schemas."""

import csv
import datetime
import io

import openpyxl
import pytest
from django.urls import reverse

from agreements.accounts.services import api_token_issue
from agreements.activities.selectors import activity_rows
from agreements.activities.services import activity_create
from agreements.models import Activity, Stakeholder
from tests.plan.test_computed_indicators import register, values_for  # noqa: F401 (the fixture)
from tests.support.factories import AgreementFactory, CounterpartFactory
from tests.support.register import response_body

pytestmark = pytest.mark.usefixtures("register")


def read_csv(response):
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response_body(response).decode("utf-8"))))


def api(client, user, path, params=None):
    key = api_token_issue(user=user, actor=user).key
    return client.get(f"/api{path}", params or {}, headers={"Authorization": f"Bearer {key}"})


def test_exports_hold_what_the_user_may_see(client, drafter, plan_referent_agri):
    client.force_login(drafter)
    everything = read_csv(client.get(reverse("exports:activities", args=["csv"])))
    assert len(everything) == 10
    filtered = read_csv(client.get(reverse("exports:activities", args=["csv"]), {"anno": "2023", "paese": "CA"}))
    assert sorted(r["Titolo"] for r in filtered) == ["Delegazione Québec", "Evento Québec", "Nota sul Québec"]
    assert len(read_csv(client.get(reverse("exports:stakeholders", args=["csv"])))) == 4
    client.force_login(plan_referent_agri)
    agri = read_csv(client.get(reverse("exports:activities", args=["csv"])))
    assert sorted(r["Titolo"] for r in agri) == ["Delegazione NA 1", "Delegazione NA 2", "Evento NA a Bologna",
                                                  "Evento PA"]
    assert sorted(r["Denominazione"] for r in read_csv(client.get(reverse("exports:stakeholders",
                                                                          args=["csv"])))) == ["ART-ER",
                                                                                               "Università di Bologna"]


def test_activity_export_lists_what_each_activity_involves(client, drafter, plan, plan_dg_agri, plan_dg_crli,
                                                           django_assert_max_num_queries):
    # given an activity involving two of everything (lists read per chunk, not through the models)
    second, first = CounterpartFactory(name="Zeta Region"), CounterpartFactory(name="Alfa Region")
    older, newer = AgreementFactory(reference="ACC-OLD"), AgreementFactory(reference="ACC-NEW")
    activity_create(actor=drafter, kind="system_mission", title="Missione doppia", starts_on=datetime.date(2023, 9, 1),
                    counterparts=[second, first], dgs=[plan_dg_crli, plan_dg_agri],
                    plan_actions=[plan["actions"][3], plan["actions"][1]], agreements=[older, newer],
                    stakeholders=list(Stakeholder.objects.order_by("-name")[:2]), follow_up_projects="Progetto X")
    client.force_login(drafter)
    # when the drafter downloads the activity register
    with django_assert_max_num_queries(12) as captured:
        rows = read_csv(client.get(reverse("exports:activities", args=["csv"])))
    # then every row holds what the activity page shows (models, prefetched), in the same order, newest first
    expected = [{
        "N.": str(a.pk), "Titolo": a.title, "Tipologia": a.get_kind_display(), "Paese (ISO 3166)": a.country_code,
        "Controparti": "; ".join(c.name for c in a.counterparts.all()),
        "DG e settori": "; ".join(d.name for d in a.dgs.all()),
        "Azioni del piano": "; ".join(f"{x.plan.code}/{x.number}" for x in a.plan_actions.all()),
        "Accordi": "; ".join(x.reference for x in a.agreements.all()),
        "Stakeholder": "; ".join(s.name for s in a.stakeholders.all()),
        "Partecipanti": "" if a.participants is None else str(a.participants),
        "Progetti di follow-up": a.follow_up_projects,
    } for a in activity_rows(Activity.objects.all())]
    assert [{key: row[key] for key in expected[0]} for row in rows] == expected
    mission = next(row for row in rows if row["Titolo"] == "Missione doppia")
    assert mission["Controparti"] == "Alfa Region; Zeta Region"
    assert mission["Accordi"] in ("ACC-NEW; ACC-OLD", "ACC-OLD; ACC-NEW") and mission["Accordi"].count(";") == 1
    assert mission["Azioni del piano"].count(";") == 1 and mission["DG e settori"].count(";") == 1
    # and twenty more activities cost no more queries (the lists are read once per chunk)
    for n in range(20):
        activity_create(actor=drafter, kind="event", title=f"Evento {n}", starts_on=datetime.date(2023, 10, 1),
                        counterparts=[first], dgs=[plan_dg_agri], stakeholders=list(Stakeholder.objects.all()[:1]))
    with django_assert_max_num_queries(len(captured.captured_queries)):
        assert len(read_csv(client.get(reverse("exports:activities", args=["csv"])))) == len(rows) + 20


def test_indicator_values_export_equals_the_page(client, drafter, plan_referent_agri):
    for user in (drafter, plan_referent_agri):
        client.force_login(user)
        rows = read_csv(client.get(reverse("exports:indicator_values", args=["csv"])))
        page = values_for(user)
        assert len(rows) == 16
        for row in rows:
            expected = page[int(row["N."])][int(row["Anno"])]
            assert row["Calcolato dal registro"] == ("" if expected["computed"] is None else str(expected["computed"]))
            assert row["Target"] == str(expected["target"])
    client.force_login(drafter)
    sheet = openpyxl.load_workbook(io.BytesIO(response_body(client.get(reverse("exports:indicator_values",
                                                                               args=["xlsx"]))))).active
    assert sheet.max_row == 17


def test_api_lists_with_visibility_and_strict_parameters(client, drafter, plan_referent_agri):
    body = api(client, drafter, "/activities", {"anno": 2023, "limit": 2}).json()
    assert body["count"] == 5 and len(body["items"]) == 2 and body["limit"] == 2
    agri = api(client, plan_referent_agri, "/activities").json()
    assert sorted(i["title"] for i in agri["items"]) == ["Delegazione NA 1", "Delegazione NA 2",
                                                         "Evento NA a Bologna", "Evento PA"]
    hidden = api(client, drafter, "/activities", {"q": "Québec", "tipo": "delegation_received"}).json()["items"][0]
    assert api(client, plan_referent_agri, f"/activities/{hidden['id']}").status_code == 404
    assert api(client, drafter, f"/activities/{hidden['id']}").json()["country_code"] == "CA"
    stakeholders = api(client, plan_referent_agri, "/stakeholders").json()
    assert sorted(s["name"] for s in stakeholders["items"]) == ["ART-ER", "Università di Bologna"]
    # unknown parameters, out-of-range pages and wrong types are refused
    for params in ({"colore": "rosso"}, {"limit": 501}, {"offset": -1}, {"anno": "duemila"}, {"tipo": "picnic"},
                   {"paese": "ITA"}):
        assert api(client, drafter, "/activities", params).status_code == 422, params
    assert api(client, drafter, "/stakeholders", {"interno": "forse"}).status_code == 422
    assert api(client, drafter, "/plan/values", {"anno": "2023"}).status_code == 422


def test_api_plan_values_equal_the_page(client, drafter, plan_referent_agri):
    for user in (drafter, plan_referent_agri):
        body = api(client, user, "/plan/values", {"piano": "2022-2023"}).json()
        page = values_for(user)
        assert body["years"] == [2022, 2023]
        for indicator in body["indicators"]:
            for year in indicator["years"]:
                assert year["computed"] == page[indicator["number"]][year["year"]]["computed"]
    assert api(client, drafter, "/plan/values", {"piano": "1999"}).status_code == 404
