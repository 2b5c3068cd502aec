"""Indicators computed from the activity register: hand-counted values with every breakdown, visibility of a DG
referent, new stakeholders per year, hand-recorded values and corrections shown as such, constant queries."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agreements.activities.services import activity_create, stakeholder_create
from agreements.common.errors import InvalidDataError
from agreements.models import (
    Activity,
    ActivityKind,
    AuditEvent,
    CounterpartType,
    Indicator,
    IndicatorActual,
    Stakeholder,
    StakeholderType,
)
from agreements.plan.indicators import indicator_values
from agreements.plan.selectors import plan_by_code, plan_overview
from agreements.plan.services import indicator_actual_record
from tests.support.factories import CounterpartFactory

PAGE = "/piano/"
D = datetime.date


@pytest.fixture
def register(drafter, plan, plan_dg_agri, plan_dg_crli):
    """Activities in several countries and kinds across 2022 and 2023 (hand-counted in the tests below)."""
    aquitaine = CounterpartFactory(name="Nouvelle-Aquitaine", country="Francia", country_code="FR",
                                   type=CounterpartType.REGION)
    pennsylvania = CounterpartFactory(name="Pennsylvania", country="Stati Uniti", country_code="US",
                                      type=CounterpartType.FEDERATED_STATE)
    quebec = CounterpartFactory(name="Québec", country="Canada", country_code="CA",
                                type=CounterpartType.FEDERATED_STATE)
    s = {
        "unibo": stakeholder_create(actor=drafter, name="Università di Bologna", type=StakeholderType.UNIVERSITY),
        "cciaa": stakeholder_create(actor=drafter, name="Camera di commercio di Modena",
                                    type=StakeholderType.TRADE_BODY),
        "art": stakeholder_create(actor=drafter, name="ART-ER", type=StakeholderType.REGIONAL_OFFICE,
                                  internal=True),
        "comune": stakeholder_create(actor=drafter, name="Comune di Parma", type=StakeholderType.LOCAL_AUTHORITY),
    }
    a1 = plan["actions"][1]

    def add(kind, title, day, country, counterparts, dgs, **extra):
        return activity_create(actor=drafter, kind=kind, title=title, starts_on=day, country_code=country,
                               counterparts=counterparts, dgs=dgs, **extra)

    agri, crli = [plan_dg_agri], [plan_dg_crli]
    # 2022: three delegations (FR x2 AGRI, US CRLI), one event on the territory (FR, AGRI), one meeting (US)
    add("delegation_received", "Delegazione NA 1", D(2022, 3, 1), "FR", [aquitaine], agri, plan_actions=[a1],
        stakeholders=[s["unibo"], s["art"]])
    add("delegation_received", "Delegazione NA 2", D(2022, 9, 1), "FR", [aquitaine], agri, plan_actions=[a1])
    add("delegation_received", "Delegazione PA", D(2022, 10, 1), "US", [pennsylvania], crli,
        stakeholders=[s["cciaa"]])
    add("event", "Evento NA a Bologna", D(2022, 11, 5), "FR", [aquitaine], agri, participants=120,
        participants_on_territory=90)
    add("diplomatic_meeting", "Incontro PA", D(2022, 6, 1), "US", [pennsylvania], crli)
    # 2023: two delegations (CA CRLI, US CRLI), two events (CA CRLI 200 on territory; US AGRI 50), one note
    add("delegation_received", "Delegazione Québec", D(2023, 2, 1), "CA", [quebec], crli,
        stakeholders=[s["unibo"], s["comune"]])
    add("delegation_received", "Delegazione PA 2023", D(2023, 4, 1), "US", [pennsylvania], crli)
    add("event", "Evento Québec", D(2023, 5, 1), "CA", [quebec], crli, participants=250,
        participants_on_territory=200)
    add("event", "Evento PA", D(2023, 6, 1), "US", [pennsylvania], agri, participants=60,
        participants_on_territory=50)
    add("technical_note", "Nota sul Québec", D(2023, 1, 10), "CA", [], crli)
    return s


def values_for(user, code="2022-2023"):
    overview = plan_overview(plan_by_code(code))
    indicators = indicator_values(user, overview["indicators"], overview["years"])
    return {i.number: i.value_by_year for i in indicators}


def rows(value, name):
    breakdown = next(b for b in value["breakdowns"] if b["name"] == name)
    return {r["key"]: r["value"] for r in breakdown["rows"]}


def test_computed_indicators_equal_the_hand_counted_values_with_every_breakdown(drafter, register):
    v = values_for(drafter)
    # delegations: 3 in 2022 (FR 2, US 1), 2 in 2023 (CA 1, US 1)
    assert (v[1][2022]["computed"], v[1][2023]["computed"]) == (3, 2)
    assert rows(v[1][2022], "paese") == {"FR": 2, "US": 1}
    assert rows(v[1][2023], "paese") == {"CA": 1, "US": 1}
    assert rows(v[1][2022], "tipologia") == {"region": 2, "federated_state": 1}
    assert rows(v[1][2023], "tipologia") == {"federated_state": 2}
    # meetings 1 / 0, events 1 / 2, missions 0 / 0, notes 0 / 1
    assert [(v[n][2022]["computed"], v[n][2023]["computed"]) for n in (2, 3, 4, 5)] == [(1, 0), (1, 2), (0, 0),
                                                                                          (0, 1)]
    # the value is the computed one and the gap is against the target (delegations 12 / 15)
    assert (v[1][2022]["value"], v[1][2022]["gap"], v[1][2023]["gap"]) == (3, -9, -13)
    # new stakeholders: 2022 unibo, art (internal), cciaa; 2023 comune only (unibo was first involved in 2022)
    assert (v[6][2022]["computed"], v[6][2023]["computed"]) == (3, 1)
    assert rows(v[6][2022], "appartenenza") == {"interno": 1, "esterno": 2}
    assert rows(v[6][2022], "tipologia") == {"university": 1, "regional_office": 1, "trade_body": 1}
    assert rows(v[6][2023], "tipologia") == {"local_authority": 1}
    # participants on the territory of events: 90 in 2022, 250 in 2023 (CA 200, US 50)
    assert (v[8][2022]["computed"], v[8][2023]["computed"]) == (90, 250)
    assert rows(v[8][2023], "paese") == {"CA": 200, "US": 50}
    # page views are not in the register: no computed value
    assert v[7][2022]["computed"] is None and v[7][2022]["value"] is None


# Every breakdown of every computed indicator, both years, counted by hand from the register above: indicator ->
# year -> {breakdown: {key: value}}. Counterpart types: Nouvelle-Aquitaine a region, Pennsylvania and Québec
# federated states; the note on Québec names no counterpart, so it has a country and no counterpart type.
EVERY_BREAKDOWN = {
    1: {2022: {"paese": {"FR": 2, "US": 1}, "tipologia": {"region": 2, "federated_state": 1}},
        2023: {"paese": {"CA": 1, "US": 1}, "tipologia": {"federated_state": 2}}},
    2: {2022: {"paese": {"US": 1}, "tipologia": {"federated_state": 1}},
        2023: {"paese": {}, "tipologia": {}}},
    3: {2022: {"paese": {"FR": 1}, "tipologia": {"region": 1}},
        2023: {"paese": {"CA": 1, "US": 1}, "tipologia": {"federated_state": 2}}},
    4: {2022: {"paese": {}, "tipologia": {}}, 2023: {"paese": {}, "tipologia": {}}},
    5: {2022: {"paese": {}, "tipologia": {}},
        2023: {"paese": {"CA": 1}, "tipologia": {}}},
    6: {2022: {"appartenenza": {"interno": 1, "esterno": 2},
               "tipologia": {"university": 1, "regional_office": 1, "trade_body": 1}},
        2023: {"appartenenza": {"esterno": 1}, "tipologia": {"local_authority": 1}}},
    7: {2022: {}, 2023: {}},  # page views: recorded by hand, nothing to break down
    8: {2022: {"paese": {"FR": 90}}, 2023: {"paese": {"CA": 200, "US": 50}}},
}


def test_every_breakdown_of_every_indicator_equals_the_hand_count(drafter, register):
    v = values_for(drafter)
    found = {number: {year: {b["name"]: {r["key"]: r["value"] for r in b["rows"]} for b in value["breakdowns"]}
                      for year, value in years.items()}
             for number, years in v.items()}
    assert found == EVERY_BREAKDOWN
    # and each country row adds up to the indicator's computed value (every activity has a country)
    for number, years in EVERY_BREAKDOWN.items():
        for year, breakdowns in years.items():
            if "paese" in breakdowns:
                assert sum(breakdowns["paese"].values()) == v[number][year]["computed"], (number, year)


def test_new_stakeholders_of_2023_exclude_those_first_involved_in_2022(drafter, register):
    unibo = Stakeholder.objects.get(name="Università di Bologna")
    assert unibo.first_involved_on == D(2022, 3, 1)  # its 2023 activity does not make it new again
    v = values_for(drafter)
    assert "university" not in rows(v[6][2023], "tipologia")


def test_dg_referent_sees_only_what_involves_their_dg(client, plan_referent_agri, register):
    v = values_for(plan_referent_agri)
    # DG AGRI: delegations NA 1 and 2 (2022), events NA (2022) and PA (2023)
    assert (v[1][2022]["computed"], v[1][2023]["computed"]) == (2, 0)
    assert (v[3][2022]["computed"], v[3][2023]["computed"]) == (1, 1)
    assert (v[8][2022]["computed"], v[8][2023]["computed"]) == (90, 50)
    # stakeholders: only those of AGRI activities (unibo, art in 2022)
    assert (v[6][2022]["computed"], v[6][2023]["computed"]) == (2, 0)
    client.force_login(plan_referent_agri)
    html = client.get(PAGE).content.decode()
    article = re.search(r'<article id="indicatore-1".*?</article>', html, re.S).group(0)
    row_2022 = re.search(r'data-year="2022">(.*?)</tr>', article, re.S).group(1)
    assert re.search(r'class="computed" href="[^"]*">2</a>', row_2022)


def test_page_numbers_link_to_the_activities_behind_them(client, drafter, register):
    client.force_login(drafter)
    html = client.get(PAGE).content.decode()
    article = re.search(r'<article id="indicatore-1".*?</article>', html, re.S).group(0)
    link = re.search(r'data-year="2022">.*?class="computed" href="([^"]*)">3</a>', article, re.S).group(1)
    listed = client.get(link.replace("&amp;", "&")).content.decode()
    assert "3 attività" in listed and "Delegazione NA 1" in listed and "Incontro PA" not in listed
    france = re.search(r'data-year="2022" data-breakdown="paese">.*?Francia</th><td><a href="([^"]*)">2</a>',
                       article, re.S).group(1)
    listed = client.get(france.replace("&amp;", "&")).content.decode()
    assert "2 attività" in listed and "Delegazione PA" not in listed
    # actions show counts linking to the filtered registers, no agreement list inline
    row = re.search(r'<tr id="azione-1">(.*?)</tr>', html, re.S).group(1)
    assert re.search(r'\?azione=\d+"[^>]*>2</a>', row)


def test_correction_and_manual_values_are_recorded_with_who_and_shown_as_such(client, drafter, register):
    delegations = Indicator.objects.get(plan__code="2022-2023", number=1)
    pages = Indicator.objects.get(plan__code="2022-2023", number=7)
    client.force_login(drafter)
    client.post(reverse("plan:actual_record"), {"indicator": delegations.pk, "year": "2022", "value": "4",
                                                "reason": "Delegazione di aprile non registrata"})
    client.post(reverse("plan:actual_record"), {"indicator": pages.pk, "year": "2022", "value": "5100"})
    html = client.get(PAGE).content.decode()
    article = re.search(r'<article id="indicatore-1".*?</article>', html, re.S).group(0)
    row = re.search(r'data-year="2022">(.*?)</tr>', article, re.S).group(1)
    assert ">3</a>" in row  # the computed value stays visible
    assert "4" in row and "corretto a mano" in row and "da redattore" in row
    assert "Delegazione di aprile non registrata" in row
    pages_row = re.search(r'data-year="2022">(.*?)</tr>',
                          re.search(r'<article id="indicatore-7".*?</article>', html, re.S).group(0), re.S).group(1)
    assert "5.100" in pages_row and "registrato a mano" in pages_row and "corretto" not in pages_row
    from agreements.models import AuditEvent

    event = AuditEvent.objects.filter(action="indicator_actual_record").order_by("id").first()
    assert event.detail["correction"] is True and event.detail["reason"] == "Delegazione di aprile non registrata"


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_correction_without_its_reason_is_refused_on_the_field_and_nothing_written(client, drafter, register,
                                                                                    reason):
    delegations = Indicator.objects.get(plan__code="2022-2023", number=1)  # computed from the register: 3 in 2022
    pages = Indicator.objects.get(plan__code="2022-2023", number=7)  # recorded by hand
    events = AuditEvent.objects.count()
    # the service refuses a correction with an empty (or blank) reason, naming the field
    with pytest.raises(InvalidDataError) as refused:
        indicator_actual_record(indicator=delegations, year=2022, value=4, actor=drafter, reason=reason)
    assert list(refused.value.errors) == ["reason"]
    # and the form says it under the reason, keeping what was typed
    client.force_login(drafter)
    response = client.post(reverse("plan:actual_record"),
                           {"indicator": delegations.pk, "year": "2022", "value": "4", "reason": reason})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'class="errorlist" id="id_reason_error"' in html and "richiede una motivazione" in html
    assert re.search(r'<input[^>]*name="reason"[^>]*aria-describedby="[^"]*id_reason_error"', html)
    # nothing was written: no value, no audit event; the page still shows the computed 3
    assert not IndicatorActual.objects.exists() and AuditEvent.objects.count() == events
    # a hand-recorded indicator (page views) needs no reason
    indicator_actual_record(indicator=pages, year=2022, value=5100, actor=drafter, reason=reason)
    assert IndicatorActual.objects.get().indicator == pages
    # with the reason, the correction is recorded and the reason audited
    indicator_actual_record(indicator=delegations, year=2022, value=4, actor=drafter, reason=" Una in più ")
    assert IndicatorActual.objects.get(indicator=delegations).reason == "Una in più"
    assert AuditEvent.objects.filter(action="indicator_actual_record").latest("id").detail["reason"] == "Una in più"


def _bulk_activities(n, plan, dg, counterpart, stakeholder_prefix):
    kinds = [ActivityKind.DELEGATION_RECEIVED, ActivityKind.EVENT, ActivityKind.DIPLOMATIC_MEETING]
    activities = Activity.objects.bulk_create([
        Activity(kind=kinds[i % 3], title=f"Attività {i}", starts_on=D(2022 + i % 2, 1 + i % 12, 1),
                 country_code=["FR", "US", "CA", "ES"][i % 4], participants=10, participants_on_territory=5)
        for i in range(n)
    ])
    stakeholders = Stakeholder.objects.bulk_create([
        Stakeholder(name=f"{stakeholder_prefix} {i}", type=StakeholderType.COMPANY, first_involved_on=D(2023, 1, 1))
        for i in range(n // 10 + 1)
    ])
    action = plan["actions"][1]
    Activity.dgs.through.objects.bulk_create([Activity.dgs.through(activity=a, sector=dg) for a in activities])
    Activity.plan_actions.through.objects.bulk_create(
        [Activity.plan_actions.through(activity=a, action=action) for a in activities])
    Activity.counterparts.through.objects.bulk_create(
        [Activity.counterparts.through(activity=a, counterpart=counterpart) for a in activities])
    Activity.stakeholders.through.objects.bulk_create(
        [Activity.stakeholders.through(activity=a, stakeholder=s)
         for a, s in zip(activities, stakeholders, strict=False)])


@pytest.mark.parametrize("who", ["drafter", "plan_referent_agri"])
def test_monitoring_page_queries_stay_constant_from_10_to_5000_activities(client, request, plan, plan_dg_agri,
                                                                          who):
    user = request.getfixturevalue(who)
    client.force_login(user)
    counterpart = CounterpartFactory(name="Catalogna", country="Spagna", country_code="ES")

    def page_queries():
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(PAGE)
            assert response.status_code == 200
        return len(ctx.captured_queries), response.content.decode()

    _bulk_activities(10, plan, plan_dg_agri, counterpart, "Impresa A")
    few, _ = page_queries()
    _bulk_activities(4990, plan, plan_dg_agri, counterpart, "Impresa B")
    many, html = page_queries()
    assert many == few
    # and the page is aggregated: the 5,000 titles are not on it, the count of the action is
    assert "Attività 4999" not in html
    row = re.search(r'<tr id="azione-1">(.*?)</tr>', html, re.S).group(1)
    assert ">5000</a>" in row
