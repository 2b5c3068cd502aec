#!/usr/bin/env python
"""The search page over 10,000 agreements (50,000 articles in two languages), against a bare baseline.

Product: GET /cerca/?q=agroalimentare through the Django test client: middleware, session, visibility filter, the
ranked full-text query on the GIN index, ts_headline snippets of the 50 best hits, template. Baseline, measured in
the same run on the same database: the bare full-text query that fetches the same 50 best entries (ids and ranks,
no visibility, no snippets, no page) through a cursor. ratio = baseline time / product time (higher is better).
Two lines: a Gabinetto user (sees all) and a DG referent (sees their DG's). The index is built by the product's own
`search_reindex_all`; its rate (agreements per second) is printed too.
"""

import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchdb import bench_database, median_seconds  # noqa: E402

AGREEMENTS = 10_000
ARTICLES = 5
REPEAT = 20
QUERY = "agroalimentare"
# The page does more than the bare query (visibility, snippets, template). Measured on the reference machine (2 cores,
# shared): 0.43 (all) and 0.44 (referent), 95 and 83 ms a page, 6-7 queries; the goal catches a 2x slowdown.
GOAL = 0.2
MAX_QUERIES = 8

WORDS = ("ricerca innovazione cultura turismo sanità energia istruzione giovani imprese mobilità ambiente acqua "
         "digitale formazione università porti logistica clima").split()


def populate():
    from agreements.common.roles import Role
    from agreements.models import Agreement, Article, Counterpart, Profile, Sector
    from tests.support.factories import UserFactory

    rng = random.Random(16)
    dgs = [Sector.objects.create(code=f"dg-{i}", name=f"DG {i}", is_dg=True) for i in range(10)]
    counterparts = Counterpart.objects.bulk_create(
        Counterpart(name=f"Controparte {i}", country="Francia", type="region", language="fr") for i in range(200)
    )

    def sentence(n):
        words = rng.sample(WORDS, n)
        if rng.random() < 0.05:
            words.insert(rng.randrange(n), QUERY)
        return " ".join(words).capitalize() + "."

    agreements = Agreement.objects.bulk_create(
        Agreement(reference=f"BEN-{2000 + i // 1000}-{i % 1000:03d}", kind="intesa",
                  title=f"Intesa n. {i}: {sentence(4)}", counterpart=rng.choice(counterparts),
                  languages=["it", "fr"], notes=sentence(8) if i % 10 == 0 else "")
        for i in range(AGREEMENTS)
    )
    through = Agreement.dgs.through
    through.objects.bulk_create(
        through(agreement_id=a.pk, sector_id=dg.pk) for a in agreements for dg in rng.sample(dgs, rng.choice([1, 2]))
    )
    Article.objects.bulk_create(
        Article(agreement=a, number=n, heading_it=f"Articolo {n}", text_it=" ".join(sentence(12) for _ in range(3)),
                translations={"fr": {"heading": f"Article {n}",
                                    "text": "Les Parties coopèrent dans la recherche et la culture."}})
        for a in agreements for n in range(1, ARTICLES + 1)
    )
    drafter = UserFactory(username="redattore", roles=[Role.DRAFTER])
    referent = UserFactory(username="referente", roles=[Role.DG_REFERENT])
    Profile.objects.update_or_create(user=referent, defaults={"dg": dgs[0]})
    return drafter, referent


def baseline_fetch():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, ts_rank(vector, q) AS r FROM agreements_searchentry, "
            "(SELECT websearch_to_tsquery('italian', %s) || websearch_to_tsquery('simple', %s) AS q) s "
            "WHERE vector @@ q ORDER BY r DESC, agreement_id DESC LIMIT 50",
            [QUERY, QUERY],
        )
        return cursor.fetchall()


def measure(name, user):
    from django.db import connection
    from django.test import Client

    client = Client()
    client.force_login(user)
    path = f"/cerca/?q={QUERY}"
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    hits = response.content.decode().count('class="search-hit')
    assert hits == 50, f"the page shows {hits} hits"
    queries = []
    with connection.execute_wrapper(lambda execute, sql, *args: queries.append(sql) or execute(sql, *args)):
        client.get(path)
    assert len(queries) <= MAX_QUERIES, queries
    product = median_seconds(lambda: client.get(path), REPEAT)
    baseline = median_seconds(baseline_fetch, REPEAT)
    return {
        "name": name,
        "ratio": round(baseline / product, 4),
        "goal": GOAL,
        "detail": {"agreements": AGREEMENTS, "articles": AGREEMENTS * ARTICLES, "hits_on_page": hits,
                   "queries_per_page": len(queries), "product_ms": round(product * 1000, 2),
                   "baseline_ms": round(baseline * 1000, 2), "repeat": REPEAT},
    }


def main():
    with bench_database():
        drafter, referent = populate()
        from agreements.models import SearchEntry
        from agreements.search.services import search_reindex_all

        start = time.perf_counter()
        search_reindex_all()
        took = time.perf_counter() - start
        entries = SearchEntry.objects.count()
        results = [measure("search_page_10k", drafter), measure("search_page_10k_dg_referent", referent)]
    print(json.dumps({"name": "search_reindex_10k", "detail": {
        "entries": entries, "seconds": round(took, 1), "agreements_per_second": round(AGREEMENTS / took, 1)}}),
        flush=True)
    for result in results:
        print(json.dumps(result), flush=True)
    return 0 if all(r["ratio"] >= r["goal"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
