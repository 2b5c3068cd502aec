#!/usr/bin/env python
"""The register page over 10,000 agreements, against a bare baseline of the same data.

Product: GET /accordi/ (first page, default order) through the Django test client: middleware, session, visibility,
filters, pagination, template. Baseline, measured in the same run on the same database: the raw SQL that fetches
the same page of rows (the count, the page's rows with their counterpart, the page's DGs) through a cursor.
ratio = baseline time / product time (higher is better). Two lines: a Gabinetto user (sees all) and a DG referent
(sees the agreements of their DG).
"""

import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchdb import bench_database, median_seconds  # noqa: E402

AGREEMENTS = 10_000
REPEAT = 30
# Measured on the reference machine (2 cores): 0.17 (all) and 0.11 (referent). The goal sits just under the
# referent's figure: a page 2x slower than today fails it. A page that costs more queries than QUERY_CEILING (the
# figure tests/records/test_register.py asserts, constant in N) fails whatever its time.
GOAL = 0.08
QUERY_CEILING = 13


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


def baseline_fetch(page_size: int, dg_id=None):
    from django.db import connection

    where = "WHERE EXISTS (SELECT 1 FROM agreements_agreement_dgs d WHERE d.agreement_id = a.id AND d.sector_id = %s)"
    where, params = (where, [dg_id]) if dg_id else ("", [])
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM agreements_agreement a {where}", params)
        cursor.fetchone()
        cursor.execute(
            "SELECT a.id, a.reference, a.title, a.kind, c.name, c.country, a.status, a.signed_on, a.end_date "
            f"FROM agreements_agreement a JOIN agreements_counterpart c ON c.id = a.counterpart_id {where} "
            "ORDER BY a.created_at DESC, a.id DESC LIMIT %s",
            [*params, page_size],
        )
        rows = cursor.fetchall()
        cursor.execute(
            "SELECT d.agreement_id, s.name FROM agreements_agreement_dgs d "
            "JOIN agreements_sector s ON s.id = d.sector_id WHERE d.agreement_id = ANY(%s)",
            [[r[0] for r in rows]],
        )
        cursor.fetchall()
    return rows


def measure(name, user, dg_id):
    from django.db import connection
    from django.test import Client

    from agreements.records.selectors import REGISTER_PAGE_SIZE

    client = Client()
    client.force_login(user)
    response = client.get("/accordi/")
    assert response.status_code == 200, response.status_code
    rows = baseline_fetch(REGISTER_PAGE_SIZE, dg_id)
    body = response.content.decode()
    # the page shows the same rows as the baseline fetched
    assert all(r[1] in body for r in rows), "the register page does not show the baseline's rows"
    queries = []
    with connection.execute_wrapper(lambda execute, sql, *args: queries.append(sql) or execute(sql, *args)):
        client.get("/accordi/")

    product = median_seconds(lambda: client.get("/accordi/"), REPEAT)
    baseline = median_seconds(lambda: baseline_fetch(REGISTER_PAGE_SIZE, dg_id), REPEAT)
    ratio = round(baseline / product, 4) if len(queries) <= QUERY_CEILING else 0.0
    return {
        "name": name,
        "ratio": ratio,
        "goal": GOAL,
        "detail": {
            "agreements": AGREEMENTS, "rows_on_page": len(rows), "queries_per_page": len(queries),
            "query_ceiling": QUERY_CEILING,
            "product_ms": round(product * 1000, 2), "baseline_ms": round(baseline * 1000, 2), "repeat": REPEAT,
        },
    }


def main():
    with bench_database():
        drafter, referent, dg = populate()
        results = [measure("register_page_10k", drafter, None),
                   measure("register_page_10k_dg_referent", referent, dg.pk)]
    for result in results:
        print(json.dumps(result), flush=True)
    return 0 if all(r["ratio"] >= r["goal"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
