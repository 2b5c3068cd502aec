"""Every operation of the API fuzzed from its own OpenAPI document (schemathesis, through the WSGI app and the
real middleware, database and services): data the schema allows and data it does not. Whatever comes, the answer
is never a 5xx, its status and body are the ones the document declares, data outside the schema is refused, and a
refused request changes no row of any table. Bounded: a few dozen examples per operation (FUZZ_EXAMPLES)."""

import json
import os
import zlib

import pytest
import schemathesis
from django.apps import apps
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, connection
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from agreements.accounts.services import api_token_issue
from agreements.common.roles import Role
from tests.support.factories import UserFactory, referent
from tests.support.lifecycle import OPEN
from workflows.models import AgreementProcess

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "20"))

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())
schema.config.generation.update(modes=["positive", "negative"], max_examples=EXAMPLES, deterministic=True,
                                database="none")

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          negative_data_rejection]


def row_counts() -> tuple:
    """Rows of every table of the site (one query): a refused request must leave all of them as they were."""
    tables = sorted({model._meta.db_table for model in apps.get_models()})
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(f'(SELECT count(*) FROM "{table}")' for table in tables))
        return tuple(zip(tables, cursor.fetchone(), strict=True))


@pytest.fixture
def wsgi_keeps_the_test_connection():
    """As Django's test client does: the WSGI handler must not close the connection that holds the test's
    transaction at the end of each request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def fuzz_world(wsgi_keeps_the_test_connection, register_agreements, plan_dg_agri, plan_dg_crli, director):
    """The register's three agreements, a proposal with open tasks, and a key for an account holding every role
    (so requests reach the services, not only the role checks)."""
    from agreements.models import AgreementKind, Counterpart
    from tests.support.lifecycle import through_start
    from workflows.services import proposal_start

    referent(plan_dg_agri, "referente-agri")
    referent(plan_dg_crli, "referente-crli")
    user = UserFactory(username="tutti-i-ruoli", roles=[Role.DRAFTER, Role.DIRECTOR, Role.SECRETARIAT, Role.ADMIN])
    through_start(proposal_start(
        actor=user, title="Intesa con il Québec", kind=AgreementKind.INTESA,
        counterpart=Counterpart.objects.first(), dgs=[plan_dg_agri], director=director, duration_months=36,
    ), director)
    return {
        "key": api_token_issue(user=user, actor=user).key,
        "references": register_agreements_references(),
        "tasks": list(AgreementProcess.objects.filter(task__status__in=OPEN).values_list("task__pk", flat=True)),
    }


def register_agreements_references():
    from agreements.models import Agreement

    return list(Agreement.objects.order_by("pk").values_list("reference", flat=True))


def _pick(values, case):
    """One of `values`, chosen from the case's own content (deterministic for the same case)."""
    seed = zlib.crc32(json.dumps([case.body, case.query], sort_keys=True, default=str).encode())
    return values[seed % len(values)]


@pytest.mark.django_db
@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck), max_examples=EXAMPLES)
def test_every_operation_survives_generated_requests(case, fuzz_world):
    # half the time the path names a real agreement or an open task, so the services see the payloads too
    params = case.path_parameters or {}
    if "task_id" in params and isinstance(params["task_id"], int) and params["task_id"] % 2:
        params["task_id"] = _pick(fuzz_world["tasks"], case)
    if "reference" in params and isinstance(params["reference"], str) and len(params["reference"]) % 2:
        params["reference"] = _pick(fuzz_world["references"], case)
    before = row_counts()
    response = case.call(headers={"Authorization": f"Bearer {fuzz_world['key']}"})
    case.validate_response(response, checks=CHECKS)
    content_type = {k.lower(): v for k, v in response.headers.items()}.get("content-type", [""])
    assert str(content_type[0] if isinstance(content_type, list) else content_type).startswith(
        "application/json"), response.text[:300]
    if response.status_code >= 400:
        after = row_counts()
        assert after == before, [(t, b, a) for (t, b), (_, a) in zip(before, after, strict=True) if a != b]
