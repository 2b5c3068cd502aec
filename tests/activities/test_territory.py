"""The territory page of a country and of a counterpart: agreements with state and expiry, activities over time,
stakeholders, DGs, spillover and the four evaluation criteria, within what the user may see, in constant queries."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agreements.activities.selectors import TERRITORY_AGREEMENTS
from agreements.activities.services import activity_create, stakeholder_create
from agreements.models import Activity, ActivityKind, Agreement, AgreementKind, Stakeholder, StakeholderType, Status
from tests.support.factories import AgreementFactory, CounterpartFactory, InForceAgreementFactory

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def france(drafter, dg_agri, dg_crli):
    aquitaine = CounterpartFactory(name="Nouvelle-Aquitaine", country="Francia", country_code="FR")
    occitanie = CounterpartFactory(name="Occitanie", country="Francia", country_code="FR")
    in_force = InForceAgreementFactory(reference="INT-2022-001", counterpart=aquitaine, dgs=[dg_agri],
                                       end_date=D(2025, 4, 1))
    AgreementFactory(reference="INT-2023-004", counterpart=occitanie, dgs=[dg_crli])
    unibo = stakeholder_create(actor=drafter, name="Università di Bologna", type=StakeholderType.UNIVERSITY)
    art = stakeholder_create(actor=drafter, name="ART-ER", type=StakeholderType.REGIONAL_OFFICE, internal=True)
    activity_create(actor=drafter, kind=ActivityKind.DELEGATION_RECEIVED, title="Delegazione NA",
                    starts_on=D(2022, 3, 1), country_code="FR", counterparts=[aquitaine], dgs=[dg_agri],
                    agreements=[in_force], stakeholders=[unibo, art], follow_up_projects="Progetto Interreg")
    activity_create(actor=drafter, kind=ActivityKind.EVENT, title="Evento NA", starts_on=D(2023, 5, 1),
                    country_code="FR", counterparts=[aquitaine], dgs=[dg_agri], stakeholders=[unibo],
                    funding_applications="Horizon Europe")
    activity_create(actor=drafter, kind=ActivityKind.DIPLOMATIC_MEETING, title="Incontro Occitanie",
                    starts_on=D(2023, 6, 1), country_code="FR", counterparts=[occitanie], dgs=[dg_crli])
    activity_create(actor=drafter, kind=ActivityKind.EVENT, title="Evento Québec", starts_on=D(2023, 6, 1),
                    country_code="CA", dgs=[dg_agri])
    return {"aquitaine": aquitaine, "occitanie": occitanie}


def section(html, name):
    return re.search(rf'id="{name}">(.*?)</section>', html, re.S).group(1)


def test_country_page_brings_the_evaluation_criteria_together(client, drafter, france):
    client.force_login(drafter)
    html = client.get(reverse("activities:territory_country", args=["fr"])).content.decode()
    agreements = section(html, "accordi")
    assert "INT-2022-001" in agreements and "In vigore" in agreements and "01/04/2025" in agreements
    assert "INT-2023-004" in agreements
    timeline = section(html, "attivita")
    assert re.search(r'data-year="2022">.*?>1</a>', timeline, re.S)
    assert re.search(r'data-year="2023">.*?>2</a>', timeline, re.S)
    assert "Evento Québec" not in html  # another country
    assert "Università di Bologna" in section(html, "stakeholder") and "ART-ER" in section(html, "stakeholder")
    assert "DG AGRI" in section(html, "dg") and "DG CRLI" in section(html, "dg")
    spill = section(html, "spillover")
    assert "Progetto Interreg" in spill and "Horizon Europe" in spill and "Incontro Occitanie" not in spill
    assert "2 accordi (1 in vigore), 3 attività" in html
    assert "2 stakeholder (1 interni, 1 esterni)" in html
    assert "2 attività con ricadute: 1 con progetti di follow-up, 1 con candidature a finanziamenti" in html


def test_referent_sees_only_what_involves_their_dg(client, referent_crli, france):
    client.force_login(referent_crli)
    html = client.get(reverse("activities:territory_country", args=["FR"])).content.decode()
    assert "INT-2023-004" in html and "Incontro Occitanie" not in section(html, "spillover")
    assert "INT-2022-001" not in html and "Università di Bologna" not in html and "Progetto Interreg" not in html
    assert "1 accordi (0 in vigore), 1 attività" in html
    # a counterpart outside their DG is not found; their own is
    assert client.get(reverse("activities:territory_counterpart",
                              args=[france["aquitaine"].pk])).status_code == 404
    assert client.get(reverse("activities:territory_counterpart",
                              args=[france["occitanie"].pk])).status_code == 200


def test_counterpart_page(client, drafter, france):
    client.force_login(drafter)
    html = client.get(reverse("activities:territory_counterpart", args=[france["aquitaine"].pk])).content.decode()
    assert "INT-2022-001" in html and "INT-2023-004" not in html
    assert "1 accordi (1 in vigore), 2 attività" in html
    assert client.get(reverse("activities:territory_country", args=["ZZ"])).status_code == 404


@pytest.mark.parametrize("who", ["drafter", "referent_agri"])
@pytest.mark.parametrize("page", ["country", "counterpart"])
def test_territory_page_queries_stay_constant_from_10_to_5000_activities(client, request, dg_agri, france, page,
                                                                         who):
    client.force_login(request.getfixturevalue(who))
    aquitaine = france["aquitaine"]
    url = (reverse("activities:territory_country", args=["FR"]) if page == "country"
           else reverse("activities:territory_counterpart", args=[aquitaine.pk]))

    def add(n, prefix):
        activities = Activity.objects.bulk_create([
            Activity(kind=ActivityKind.EVENT, title=f"Evento {prefix} {i}", starts_on=D(2022 + i % 2, 1, 1),
                     country_code="FR", follow_up_projects="Progetto" if i % 50 == 0 else "")
            for i in range(n)])
        stakeholders = Stakeholder.objects.bulk_create([
            Stakeholder(name=f"Impresa {prefix} {i}", type=StakeholderType.COMPANY) for i in range(n // 10 + 1)])
        Activity.dgs.through.objects.bulk_create([Activity.dgs.through(activity=a, sector=dg_agri)
                                                  for a in activities])
        Activity.counterparts.through.objects.bulk_create(
            [Activity.counterparts.through(activity=a, counterpart=aquitaine) for a in activities])
        Activity.stakeholders.through.objects.bulk_create(
            [Activity.stakeholders.through(activity=a, stakeholder=stakeholders[i // 10])
             for i, a in enumerate(activities)])

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
            assert response.status_code == 200
        return len(ctx.captured_queries), response.content.decode()

    add(10, "A")
    few, _ = queries()
    add(4990, "B")
    many, html = queries()
    assert many == few
    # the page did see the 5,000 activities (their stakeholders are counted), it did not list them one by one
    assert "Impresa B 1" in html or "500" in html


def _bulk_agreements(n, start, counterpart, dg, *, other=None):
    agreements = Agreement.objects.bulk_create(
        Agreement(reference=f"TER-{i:06d}", title=f"Accordo {i}", kind=AgreementKind.INTESA,
                  status=Status.IN_FORCE if i % 2 else Status.NEGOTIATION, counterpart=counterpart)
        for i in range(start, start + n))
    Agreement.dgs.through.objects.bulk_create(Agreement.dgs.through(agreement=a, sector=dg) for a in agreements)
    if other is not None:
        Agreement.other_counterparts.through.objects.bulk_create(
            Agreement.other_counterparts.through(agreement=a, counterpart=other) for a in agreements)
    return agreements


@pytest.mark.parametrize("page", ["country", "counterpart"])
def test_territory_page_lists_the_first_agreements_counts_them_all_and_queries_stay_constant_in_agreements(
        client, drafter, dg_agri, france, page):
    # given a country (and a counterpart) with a few agreements
    client.force_login(drafter)
    aquitaine = france["aquitaine"]
    url = (reverse("activities:territory_country", args=["FR"]) if page == "country"
           else reverse("activities:territory_counterpart", args=[aquitaine.pk]))
    quebec = CounterpartFactory(name="Québec", country="Canada", country_code="CA")
    _bulk_agreements(10, 0, aquitaine, dg_agri)
    _bulk_agreements(5, 100, quebec, dg_agri, other=aquitaine)  # Aquitaine as second counterpart, in Canada

    def get():
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200
        return response.content.decode(), len(ctx.captured_queries)

    _html, few = get()
    # when the register grows to thousands of agreements there
    _bulk_agreements(3000, 1000, aquitaine, dg_agri)
    html, many = get()
    # then the page costs the same queries, lists only the first agreements and counts all of them
    assert many == few
    # France: 2 + 10 + 3000; Aquitaine: 1 + 10 + 3000 + the 5 in Canada where it is the second counterpart
    total = 3012 if page == "country" else 3016
    assert section(html, "accordi").count("<tr><td>") == TERRITORY_AGREEMENTS
    assert f"{total} accordi (" in html
    assert f"altri {total - TERRITORY_AGREEMENTS} non elencati qui" in html
    # and its link opens the register on exactly those agreements
    link = re.search(r'id="accordi-altri"><a href="([^"]+)"', html).group(1).replace("&amp;", "&")
    register = client.get(link).content.decode()
    assert f"{total} accordi</p>" in register
