#!/usr/bin/env python
"""The register page over 10,000 agreements, against a bare baseline of the same data.

Product: GET /accordi/ through the Django test client: middleware, session, visibility, filters, pagination,
template. Baseline, measured in the same run on the same database: the raw SQL that fetches the same page of rows
(the count, the page's rows with their counterpart, the page's DGs) through a cursor; the script first checks that
the page lists exactly the baseline's rows, in its order. ratio = baseline time / product time (higher is better).
Four lines: the first page in the default order for a Gabinetto user (sees all) and for a DG referent (sees the
agreements of their DG); for the Gabinetto user, page 40 (an OFFSET of 975 rows) and a filtered and sorted request
(state and country, by end date descending: the count and the rows joined to the counterpart).
"""

import json
import random
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchdb import bench_database, median_seconds  # noqa: E402

AGREEMENTS = 10_000
REPEAT = 30
# The goal (0.08) was missed by the Gabinetto line before issue 18's page work (0.06: 17.4 ms against 1.05 ms on a
# quiet machine); measured after it, at load 2-2.5 (README, Benchmarks): 0.081-0.085 (about 13 ms), the referent
# 0.27, page 40 0.36, filtered and sorted 0.19. A page that costs more queries than QUERY_CEILING (the figure
# tests/records/test_register.py asserts, constant in N) fails whatever its time.
GOAL = 0.08
QUERY_CEILING = 8


def populate():
    import datetime

    from agreements.common.roles import Role
    from agreements.models import Agreement, AgreementKind, Counterpart, Profile, Sector, Status
    from tests.support.factories import UserFactory

    rng = random.Random(8)
    dgs = [Sector.objects.create(code=f"dg-{i}", name=f"DG {i}", is_dg=True) for i in range(10)]
    counterparts = Counterpart.objects.bulk_create(
        Counterpart(name=f"Controparte {i}", country=rng.choice(["Francia", "Germania", "Polonia", "Cina", "Brasile"]),
                    country_code="XX", type="region", language="fr")
        for i in range(200)
    )
    statuses = [s for s, _ in Status.choices]
    kinds = [k for k, _ in AgreementKind.choices]
    agreements = Agreement.objects.bulk_create(
        Agreement(
            reference=f"BEN-{2000 + i // 1000}-{i % 1000:03d}", title=f"Accordo di cooperazione n. {i} <&>",
            kind=rng.choice(kinds), status=rng.choice(statuses), counterpart=rng.choice(counterparts),
            signed_on=datetime.date(2020, 1, 1) + datetime.timedelta(days=rng.randrange(1500)),
            end_date=datetime.date(2024, 1, 1) + datetime.timedelta(days=rng.randrange(1500)),
        )
        for i in range(AGREEMENTS)
    )
    through = Agreement.dgs.through
    through.objects.bulk_create(
        through(agreement_id=a.pk, sector_id=dg.pk) for a in agreements for dg in rng.sample(dgs, rng.choice([1, 2]))
    )
    drafter = UserFactory(username="redattore", roles=[Role.DRAFTER])
    referent = UserFactory(username="referente", roles=[Role.DG_REFERENT])
    Profile.objects.update_or_create(user=referent, defaults={"dg": dgs[0]})
    return drafter, referent, dgs[0]


DEFAULT_ORDER = "a.created_at DESC, a.id DESC"
SORTED_FILTERED = {"status": "in_force", "country": "Francia", "ordering": "-end_date"}
LATER_PAGE = 40
ROW_LINK = re.compile(r'<td class="nowrap"><a href="/accordi/([^/]+)/">')


def baseline_fetch(page_size: int, *, where: str = "", params=(), order: str = DEFAULT_ORDER, page: int = 1,
                   count_joins_counterpart: bool = False):
    """The page's rows as plain SQL: the count (joined to the counterpart when the filter is on it, as the page's
    count is), the page's rows with their counterpart, the page's DGs."""
    from django.db import connection

    where = f"WHERE {where}" if where else ""
    join = "JOIN agreements_counterpart c ON c.id = a.counterpart_id"
    with connection.cursor() as cursor:
        count_join = join if count_joins_counterpart else ""
        cursor.execute(f"SELECT count(*) FROM agreements_agreement a {count_join} {where}", list(params))
        cursor.fetchone()
        cursor.execute(
            "SELECT a.id, a.reference, a.title, a.kind, c.name, c.country, a.status, a.signed_on, a.end_date "
            f"FROM agreements_agreement a {join} {where} ORDER BY {order} LIMIT %s OFFSET %s",
            [*params, page_size, (page - 1) * page_size],
        )
        rows = cursor.fetchall()
        cursor.execute(
            "SELECT d.agreement_id, s.name FROM agreements_agreement_dgs d "
            "JOIN agreements_sector s ON s.id = d.sector_id WHERE d.agreement_id = ANY(%s)",
            [[r[0] for r in rows]],
        )
        cursor.fetchall()
    return rows


def requests(drafter, referent, dg):
    """What each line measures: the page's GET parameters and the baseline SQL that fetches the same rows."""
    in_dg = "EXISTS (SELECT 1 FROM agreements_agreement_dgs d WHERE d.agreement_id = a.id AND d.sector_id = %s)"
    return [
        ("register_page_10k", drafter, {}, {}),
        ("register_page_10k_dg_referent", referent, {}, {"where": in_dg, "params": [dg.pk]}),
        (f"register_page_10k_page_{LATER_PAGE}", drafter, {"page": LATER_PAGE}, {"page": LATER_PAGE}),
        ("register_page_10k_sorted_filtered", drafter, SORTED_FILTERED,
         {"where": "a.status = %s AND c.country = %s", "params": ["in_force", "Francia"],
          "order": "a.end_date DESC, a.id DESC", "count_joins_counterpart": True}),
    ]


def measure(name, user, params, baseline):
    from django.db import connection
    from django.test import Client

    from agreements.records.selectors import REGISTER_PAGE_SIZE

    client = Client()
    client.force_login(user)
    response = client.get("/accordi/", params)
    assert response.status_code == 200, response.status_code
    rows = baseline_fetch(REGISTER_PAGE_SIZE, **baseline)
    # the page shows the baseline's rows, in the baseline's order
    shown = ROW_LINK.findall(response.content.decode())
    assert shown == [r[1] for r in rows], f"{name}: the page does not show the baseline's rows"
    assert len(rows) == REGISTER_PAGE_SIZE, f"{name}: not a full page"
    queries = []
    with connection.execute_wrapper(lambda execute, sql, *args: queries.append(sql) or execute(sql, *args)):
        client.get("/accordi/", params)

    product = median_seconds(lambda: client.get("/accordi/", params), REPEAT)
    baseline_time = median_seconds(lambda: baseline_fetch(REGISTER_PAGE_SIZE, **baseline), REPEAT)
    ratio = round(baseline_time / product, 4) if len(queries) <= QUERY_CEILING else 0.0
    return {
        "name": name,
        "ratio": ratio,
        "goal": GOAL,
        "detail": {
            "agreements": AGREEMENTS, "request": params, "rows_on_page": len(rows),
            "queries_per_page": len(queries), "query_ceiling": QUERY_CEILING,
            "product_ms": round(product * 1000, 2), "baseline_ms": round(baseline_time * 1000, 2), "repeat": REPEAT,
        },
    }


def main():
    with bench_database():
        drafter, referent, dg = populate()
        results = [measure(name, user, params, baseline) for name, user, params, baseline in
                   requests(drafter, referent, dg)]
    for result in results:
        print(json.dumps(result), flush=True)
    return 0 if all(r["ratio"] >= r["goal"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
