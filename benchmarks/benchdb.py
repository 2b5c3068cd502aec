"""A throwaway PostgreSQL database for one benchmark script, migrated from scratch and dropped at the end.

BENCH_DATABASE_URL names it (default postgres://postgres@127.0.0.1:5432/intese_bench). It is a separate variable
from DATABASE_URL on purpose: the script drops the database it names, and refuses any name without "bench" in it.
"""

import contextlib
import os
import sys
from pathlib import Path
from urllib.parse import urlsplit

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/intese_bench"
ROOT = Path(__file__).resolve().parent.parent


def _admin_connection(url: str):
    import psycopg

    parts = urlsplit(url)
    server = parts._replace(scheme="postgresql", path="/postgres").geturl()
    return psycopg.connect(server, autocommit=True), parts.path.lstrip("/")


def recreate_database(url: str) -> None:
    """Drop and create the (empty) database `url` names; refused unless its name contains "bench"."""
    admin, name = _admin_connection(url)
    if "bench" not in name:
        raise SystemExit(f"refusing to drop and recreate {name!r}: a benchmark database name contains 'bench'")
    with admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')


@contextlib.contextmanager
def bench_database(settings: str = "config.settings.test"):
    """Create the database, point Django at it (`settings`), migrate, yield; drop it afterwards."""
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    recreate_database(url)
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = settings
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections
    from django.test.utils import setup_test_environment

    setup_test_environment()  # the test client's host, locmem e-mail
    try:
        call_command("migrate", verbosity=0, interactive=False)
        yield
    finally:
        connections.close_all()
        admin, name = _admin_connection(url)
        with admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def median_seconds(function, repeat: int) -> float:
    """The median wall time of `repeat` calls, after one warm-up call."""
    import statistics
    import time

    function()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)
