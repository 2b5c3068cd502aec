"""The API's register list costs the same queries whatever the number of agreements (issue 18, goal 1)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agreements.accounts.services import api_token_issue
from agreements.models import Action, Plan
from tests.support.bulk import bulk_agreements

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("who", ["drafter", "referent_agri"])
@pytest.mark.parametrize("params", [{}, {"q": "blocco", "status": "in_force", "ordering": "-end_date", "limit": 50}],
                         ids=["plain", "search-filter-sort"])
def test_api_list_runs_in_the_same_number_of_queries_with_10_and_10000_agreements(
        client, request, who, params, dg_agri, dg_crli):
    user = request.getfixturevalue(who)
    key = api_token_issue(user=user, actor=user).key
    plan = Plan.objects.create(code="piano", title="Piano", start_year=2026, end_year=2027)
    actions = [Action.objects.create(plan=plan, number=90 + n, objective="Obiettivo", title=f"Azione {n}",
                                     short_title=f"Azione {n}", timing="2026") for n in range(2)]

    def cost():
        with CaptureQueriesContext(connection) as ctx:
            response = client.get("/api/agreements", params, headers={"Authorization": f"Bearer {key}"})
        assert response.status_code == 200, response.content[:300]
        items = response.json()["items"]
        assert items and all(item["dgs"] and item["plan_actions"] for item in items)
        return len(ctx.captured_queries), response.json()["count"]

    bulk_agreements(10, 0, [dg_agri, dg_crli], plan_actions=actions)
    small, few = cost()
    bulk_agreements(10_000, 10, [dg_agri, dg_crli], plan_actions=actions)
    large, many = cost()
    assert many > 20 * few  # the list did grow...
    assert large == small, f"{small} queries with few agreements, {large} with 10,000"  # ...its cost did not
