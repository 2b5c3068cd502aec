"""The register: what the user may see, searched, filtered, sorted and paginated, in constant queries."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agreements.models import Agreement, AgreementKind, Counterpart, Status
from agreements.models.plan import Action, Plan
from tests.support.factories import AgreementFactory, CounterpartFactory, InForceAgreementFactory

pytestmark = pytest.mark.django_db
URL = reverse("agreements:register")


def references(response) -> list[str]:
    """The references in the register's rows, in page order."""
    return re.findall(r'<td class="nowrap"><a href="/accordi/([^/]+)/">', response.content.decode())


@pytest.fixture
def action(db):
    plan = Plan.objects.create(code="piano", title="Piano", start_year=2022, end_year=2023)
    return Action.objects.create(plan=plan, number=7, objective="Obiettivo", title="Ricerca", short_title="Ricerca",
                                 timing="2022")


@pytest.fixture
def three(dg_agri, dg_crli, action):
    aquitaine = InForceAgreementFactory(
        reference="INT-2022-001", title="Intesa con la Nouvelle-Aquitaine",
        counterpart=CounterpartFactory(name="Région Nouvelle-Aquitaine", country="Francia"),
        dgs=[dg_agri, dg_crli], end_date=datetime.date(2025, 4, 27),
    )
    pennsylvania = InForceAgreementFactory(
        reference="INT-2022-002", title="Intesa con la Pennsylvania",
        counterpart=CounterpartFactory(name="Commonwealth of Pennsylvania", country="Stati Uniti d'America"),
        dgs=[dg_crli], signed_on=datetime.date(2022, 7, 1), end_date=datetime.date(2027, 7, 1),
    )
    pennsylvania.plan_actions.add(action)
    guangdong = AgreementFactory(
        reference="MOU-2023-001", title="Memorandum con il Guangdong", kind=AgreementKind.MEMORANDUM,
        status=Status.CONSULTATION, counterpart=CounterpartFactory(name="Provincia del Guangdong", country="Cina"),
        dgs=[dg_agri],
    )
    return {"aquitaine": aquitaine, "pennsylvania": pennsylvania, "guangdong": guangdong}


def test_register_needs_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_gabinetto_sees_every_agreement_and_each_row_links_to_its_page(client, drafter, three):
    client.force_login(drafter)
    response = client.get(URL)
    assert response.status_code == 200
    assert sorted(references(response)) == ["INT-2022-001", "INT-2022-002", "MOU-2023-001"]
    page = response.content.decode()
    assert 'href="/accordi/INT-2022-001/"' in page
    assert "27/04/2025" in page  # dates as the office writes them


def test_dg_referent_sees_only_their_dgs_agreements(client, referent_agri, three):
    client.force_login(referent_agri)
    response = client.get(URL)
    assert sorted(references(response)) == ["INT-2022-001", "MOU-2023-001"]
    assert "Pennsylvania" not in response.content.decode()
    # Not even when asking for it by name.
    assert references(client.get(URL, {"q": "Pennsylvania"})) == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("aquitaine", ["INT-2022-001"]),  # title and counterpart
        ("Commonwealth", ["INT-2022-002"]),  # counterpart only
        ("cina", ["MOU-2023-001"]),  # country
        ("MOU-2023", ["MOU-2023-001"]),  # reference
        ("intesa francia", ["INT-2022-001"]),  # every word must match somewhere
        ("nessuno", []),
    ],
)
def test_search_matches_title_counterpart_country_and_reference(client, drafter, three, query, expected):
    client.force_login(drafter)
    assert sorted(references(client.get(URL, {"q": query}))) == expected


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"kind": "memorandum"}, ["MOU-2023-001"]),
        ({"status": "in_force"}, ["INT-2022-001", "INT-2022-002"]),
        ({"country": "Francia"}, ["INT-2022-001"]),
        ({"expiring_before": "2026-01-01"}, ["INT-2022-001"]),
        ({"status": "in_force", "expiring_before": "2030-01-01"}, ["INT-2022-001", "INT-2022-002"]),
    ],
)
def test_filters(client, drafter, three, params, expected):
    client.force_login(drafter)
    assert sorted(references(client.get(URL, params))) == expected


def test_filters_by_dg_and_plan_action(client, drafter, three, dg_agri, dg_crli, action):
    client.force_login(drafter)
    assert sorted(references(client.get(URL, {"dg": dg_agri.pk}))) == ["INT-2022-001", "MOU-2023-001"]
    assert sorted(references(client.get(URL, {"dg": dg_crli.pk}))) == ["INT-2022-001", "INT-2022-002"]
    assert references(client.get(URL, {"plan_action": action.pk})) == ["INT-2022-002"]


def test_bad_filter_input_is_reported_next_to_the_field_and_lists_nothing(client, drafter, three):
    client.force_login(drafter)
    response = client.get(URL, {"expiring_before": "31/02/2025", "kind": "trattato"})
    page = response.content.decode()
    assert response.status_code == 200
    assert references(response) == []
    assert 'id="id_expiring_before_error"' in page
    assert 'aria-describedby="id_expiring_before_error"' in page
    assert 'aria-invalid="true"' in page
    assert 'id="id_kind_error"' in page


def test_sorting_by_a_column_both_ways(client, drafter, three):
    client.force_login(drafter)
    ascending = references(client.get(URL, {"ordering": "end_date"}))
    assert ascending[:2] == ["INT-2022-001", "INT-2022-002"]
    descending = references(client.get(URL, {"ordering": "-end_date"}))
    assert descending.index("INT-2022-002") < descending.index("INT-2022-001")
    by_country = references(client.get(URL, {"ordering": "country"}))
    assert by_country == ["MOU-2023-001", "INT-2022-001", "INT-2022-002"]  # Cina, Francia, Stati Uniti
    page = client.get(URL, {"ordering": "country"}).content.decode()
    assert 'aria-sort="ascending"' in page
    assert "ordering=-country" in page  # the header now offers the other direction


def test_pagination_keeps_filters(client, drafter):
    client.force_login(drafter)
    counterpart = CounterpartFactory(name="Land Baden-Württemberg", country="Germania")
    for n in range(30):
        AgreementFactory(reference=f"INT-2024-{n:03d}", counterpart=counterpart)
    AgreementFactory(reference="INT-2024-999", counterpart=CounterpartFactory(name="Altro", country="Austria"))
    first = client.get(URL, {"country": "Germania", "ordering": "reference"})
    assert references(first) == [f"INT-2024-{n:03d}" for n in range(25)]
    page = first.content.decode()
    assert "30 accordi" in page
    assert "country=Germania" in page and "page=2" in page
    second = client.get(URL, {"country": "Germania", "ordering": "reference", "page": 2})
    assert references(second) == [f"INT-2024-{n:03d}" for n in range(25, 30)]


def _bulk_agreements(count: int, start: int, dgs, counterparts):
    agreements = Agreement.objects.bulk_create(
        Agreement(
            reference=f"BLK-{n:06d}", title=f"Accordo {n}", kind=AgreementKind.INTESA,
            status=Status.IN_FORCE if n % 2 else Status.NEGOTIATION, counterpart=counterparts[n % len(counterparts)],
            end_date=datetime.date(2026, 1, 1) + datetime.timedelta(days=n % 700),
        )
        for n in range(start, start + count)
    )
    through = Agreement.dgs.through
    through.objects.bulk_create(
        through(agreement_id=a.pk, sector_id=dgs[(i // 2) % len(dgs)].pk) for i, a in enumerate(agreements)
    )


def _queries(client, params) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(URL, params)
    assert response.status_code == 200
    assert len(references(response)) > 0
    return len(ctx.captured_queries)


@pytest.mark.parametrize("who", ["drafter", "referent_agri"])
@pytest.mark.parametrize(
    "params",
    [{}, {"q": "Accordo", "status": "in_force", "ordering": "-end_date"}, {"country": "Francia", "page": 3}],
    ids=["plain", "search-filter-sort", "country-page-3"],
)
def test_register_runs_in_the_same_number_of_queries_with_10_and_10000_agreements(
    client, request, who, params, dg_agri, dg_crli
):
    user = request.getfixturevalue(who)
    client.force_login(user)
    counterparts = [
        Counterpart.objects.create(
            name=f"Controparte {n}", country=["Francia", "Spagna", "Brasile"][n % 3], type="region"
        )
        for n in range(6)
    ]
    _bulk_agreements(10 if not params.get("page") else 200, 0, [dg_agri, dg_crli], counterparts)
    small = _queries(client, params)
    _bulk_agreements(10_000, 10_000, [dg_agri, dg_crli], counterparts)
    assert Agreement.objects.count() >= 10_000
    large = _queries(client, params)
    assert large == small, f"{small} queries with few agreements, {large} with 10,000"
    # a session, the user (with roles, DG and unread notifications), the countries, the DGs and the plan actions
    # of the filters, the count, the page's rows and their DGs
    assert small == 8


def test_register_offers_its_rows_as_csv_with_the_same_filters(client, drafter, three):
    client.force_login(drafter)
    page = client.get(URL, {"country": "Francia", "page": 1}).content.decode()
    link = re.search(r'href="(/esportazioni/registro\.csv[^"]*)"', page).group(1).replace("&amp;", "&")
    assert "country=Francia" in link and "page=" not in link
    export = client.get(link)
    assert export.status_code == 200
    body = b"".join(export.streaming_content if export.streaming else [export.content]).decode("utf-8-sig")
    assert "INT-2022-001" in body and "INT-2022-002" not in body


@pytest.mark.parametrize(("who", "offered"), [("drafter", True), ("admin_user", True), ("director", False),
                                              ("observer", False), ("referent_agri", False)])
def test_new_proposal_button_is_offered_to_whoever_may_open_the_proposal_form(client, request, three, who, offered):
    # given a user of each role
    client.force_login(request.getfixturevalue(who))
    # when they open the register
    page = client.get(URL).content.decode()
    # then the button appears exactly for those the proposal form lets in (drafters and administrators)
    create = reverse("agreements:create")
    assert (f'href="{create}"' in page) is offered
    assert client.get(create).status_code == (200 if offered else 403)


def test_register_rows_print_dates_as_the_date_filter_and_dgs_by_name(client, drafter, three):
    from django.template.defaultfilters import date as date_filter

    from agreements.templatetags.intese import day

    for value in (datetime.date(2025, 4, 27), datetime.date(2031, 12, 1), datetime.date(999, 1, 9)):
        assert day(value) == date_filter(value, "d/m/Y")
    assert day(None) == ""
    client.force_login(drafter)
    page = client.get(URL, {"ordering": "reference"}).content.decode()
    rows = re.findall(r"<tr>(.*?)</tr>", page, re.S)[1:]
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", row, re.S) for row in rows]
    # both DGs by name, in name order; the dates as d/m/Y; a missing date as a dash
    aquitaine = next(c for c in cells if "INT-2022-001" in c[0])
    assert aquitaine[5] == "DG AGRI, DG CRLI" and aquitaine[8] == "27/04/2025"
    pennsylvania = next(c for c in cells if "INT-2022-002" in c[0])
    assert pennsylvania[5] == "DG CRLI" and pennsylvania[7] == "01/07/2022"
    guangdong = next(c for c in cells if "MOU-2023-001" in c[0])
    assert guangdong[7] == "—" and guangdong[8] == "—"
