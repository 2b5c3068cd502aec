"""Shared fixtures. Tests run on real PostgreSQL and Redis; when either is unreachable the run stops at once
with one line saying which and how to point at one (never a silent fallback, never a skip)."""

import os

import pytest


def _check_services():
    import psycopg
    import redis

    db_url = os.environ["DATABASE_URL"]
    try:
        psycopg.connect(db_url.replace("postgres://", "postgresql://", 1).rsplit("/", 1)[0] + "/postgres",
                        connect_timeout=3).close()
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        return f"PostgreSQL is not reachable at {db_url} ({exc.__class__.__name__}): start it or set DATABASE_URL"
    redis_url = os.environ["REDIS_URL"]
    try:
        redis.Redis.from_url(redis_url, socket_connect_timeout=3, socket_timeout=3).ping()
    except Exception as exc:  # noqa: BLE001
        return f"Redis is not reachable at {redis_url} ({exc.__class__.__name__}): start it or set REDIS_URL"
    return None


def pytest_configure(config):
    import django.conf  # noqa: F401 - importing settings sets the default URLs

    from config.settings import test  # noqa: F401

    problem = _check_services()
    if problem:
        pytest.exit(problem, returncode=3)


# The shared fixtures, as plugins (tests/support/): people and DGs, the browser, the register's data, the
# documents' seed agreement and media folder, a real SMTP server.
pytest_plugins = [
    "tests.support.people",
    "tests.support.browser",
    "tests.support.register",
    "tests.support.documents",
    "tests.support.mail",
]
