#!/usr/bin/env python
"""Where a page's time goes, in-process: for each page of bench_pages (issue 18, goal 1), min and median of
`--repeat` GETs through the Django test client logged in as the page's user, the SQL query count, and optionally
a cProfile of one GET (cumulative time, top `--top` lines), against the login page in the same run.

Unlike the bench_*.py scripts it does not create its database: it reads one seeded beforehand (BENCH_DATABASE_URL,
seeded with `benchmarks/profile_pages.py --seed 10000`, which drops and recreates it), so a change can be measured
again and again on the same data. Not run by `make bench` (its name does not start with bench_).

    benchmarks/profile_pages.py --seed 10000          # once
    benchmarks/profile_pages.py --only dashboard --profile
"""

import argparse
import cProfile
import io
import json
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
os.environ.setdefault("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/intese_bench_pages")
from benchdb import ROOT, recreate_database  # noqa: E402


def setup(url: str):
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    import django

    django.setup()
    from django.db import connections
    from django.test.utils import setup_test_environment

    setup_test_environment()
    # As production (and the gunicorn of bench_pages): one connection kept across requests, with its catalogue
    # caches warm. The test settings open a connection per request, whose first plans cost more than the page.
    connections["default"].settings_dict.update(CONN_MAX_AGE=60, CONN_HEALTH_CHECKS=True)


def seed(url: str, total: int, processes: int) -> None:
    recreate_database(url)
    setup(url)
    from bench_pages import analyze, later_steps
    from django.core.management import call_command
    from seed import populate

    call_command("migrate", verbosity=0, interactive=False)
    started = time.perf_counter()
    world = populate(total, processes=processes)
    later_steps(world)
    analyze()
    print(f"seeded {total} agreements in {time.perf_counter() - started:.0f} s", file=sys.stderr)


def seeded_world() -> dict:
    """What bench_pages.world_pages needs, read back from a seeded database."""
    from django.contrib.auth import get_user_model

    from agreements.models import Sector

    users = {who: get_user_model().objects.get(username=name) for who, name in (
        ("drafter", "redattore"), ("referent", "referente"), ("director", "dirigente"),
        ("secretariat", "segreteria"), ("observer", "osservatore"))}
    users["admin"] = get_user_model().objects.get(username="amministratore")
    return {"users": users, "dgs": list(Sector.objects.filter(is_dg=True).order_by("code"))}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=0, help="drop, recreate and seed with this many agreements")
    parser.add_argument("--processes", type=int, default=120)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--only", default="", help="pages whose name contains this text")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    url = os.environ["BENCH_DATABASE_URL"]
    if args.seed:
        seed(url, args.seed, args.processes)
        return 0
    setup(url)
    from bench_pages import world_pages
    from django.db import connection
    from django.test import Client

    from agreements.accounts.services import api_token_issue

    world = seeded_world()
    users = world["users"]
    api_key = api_token_issue(user=users["drafter"], actor=users["drafter"]).key
    pages = world_pages(world)
    for name, who, path, marker in pages:
        if args.only and args.only not in name and name != "login page (floor)":
            continue
        client = Client()
        extra = {}
        if who == "api":
            extra = {"HTTP_AUTHORIZATION": f"Bearer {api_key}"}
        elif who is not None:
            client.force_login(users[who])
        response = client.get(path, **extra)  # warm-up
        assert response.status_code == 200 and marker.encode() in response.content, (name, response.status_code)
        seen = []

        def timed(execute, sql, params, many, context, seen=seen):
            start = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                seen.append((time.perf_counter() - start) * 1000)

        times, cpu, sql = [], [], []
        with connection.execute_wrapper(timed):
            for _ in range(args.repeat):
                seen.clear()
                start, start_cpu = time.perf_counter(), time.process_time()
                client.get(path, **extra)
                times.append((time.perf_counter() - start) * 1000)
                cpu.append((time.process_time() - start_cpu) * 1000)
                sql.append(sum(seen))
        # cpu: this process's CPU time (Python: middleware, view, template), less moved by the load than the
        # wall time; sql: the wall time spent waiting for PostgreSQL.
        line = {"page": name, "min_ms": round(min(times), 1), "median_ms": round(statistics.median(times), 1),
                "cpu_min_ms": round(min(cpu), 1), "sql_min_ms": round(min(sql), 1), "queries": len(seen),
                "bytes": len(response.content), "load": [round(x, 2) for x in os.getloadavg()]}
        print(json.dumps(line), flush=True)
        if args.profile and who is not None:
            profiler = cProfile.Profile()
            profiler.enable()
            client.get(path, **extra)
            profiler.disable()
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out).sort_stats(os.environ.get("PROFILE_SORT", "cumulative"))
            stats.print_stats(args.top)
            print(out.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
