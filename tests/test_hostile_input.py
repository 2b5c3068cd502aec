"""Hostile input: hypothesis throws overlong strings, arbitrary unicode, control characters, HTML and template syntax,
impossible and out-of-order dates, absurd numbers and wrong choices at every form and API payload. Whatever comes
in: never a 500, never a partial write (every table's content is compared before and after a refused request),
never markup or template syntax echoed unescaped.

Each example runs inside a savepoint that is rolled back, so every example meets the same starting state.
"""

import datetime
from collections import Counter

import pytest
import time_machine
from django import forms
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agreements.models import AgreementKind, OpinionKind
from agreements.models.agreement import ObservationsOutcome
from agreements.services import Decision
from tests.factories import CounterpartFactory
from tests.lifecycle import complete, task_of
from workflows import services as wf
from workflows.flows import AgreementFlow

START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
EXAMPLES = settings(max_examples=40, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

# Markers that must never come back unescaped: markup, and the result of template syntax being evaluated.
XSS = "<script>alert('intese')</script>"
IMG = '<img src=x onerror="alert(1)">'
NASTY = [
    XSS, IMG, "{{ request.user.password }}", "{% debug %}", "{{7*7}}", "${7*7}", "{% load static %}",
    "' OR '1'='1'; DROP TABLE agreements_agreement; --", "\x00", "a\x00b", "\u202e\u0644\u0627", "🇮🇹" * 300,
    "\r\nBcc: vittima@example.org", "../../../etc/passwd", "%s%s%s%n", "\ufeff", " ", "\t\n", "null", "None",
    "0", "-1", "1e309", "NaN", "99999999999999999999999", "&amp;&lt;", "A" * 70000,
]
TEXT = st.one_of(st.sampled_from(NASTY), st.text(max_size=200), st.text(min_size=300, max_size=3000))
DATE = st.one_of(
    st.dates(min_value=datetime.date(1, 1, 1), max_value=datetime.date(9999, 12, 31)).map(datetime.date.isoformat),
    st.dates(min_value=datetime.date(2025, 1, 1), max_value=datetime.date(2027, 12, 31)).map(datetime.date.isoformat),
    st.sampled_from(["2026-02-30", "2026-13-01", "0000-00-00", "31/12/2026", "2026-03-02T25:00", "-2026-01-01",
                     "now", "", "9" * 40]),
    TEXT,
)
NUMBER = st.one_of(st.integers().map(str), st.floats().map(str), st.decimals().map(str), TEXT)

TOTALS = Counter()


def field_strategy(field: forms.Field):
    """Mostly hostile values for one form field, with the valid ones mixed in so some examples get past the form
    and reach the service's own rules."""
    if isinstance(field, forms.ModelMultipleChoiceField | forms.MultipleChoiceField):
        valid = [str(v) for v, _ in field.choices if v != ""][:20]
        item = st.one_of(st.sampled_from(valid), TEXT) if valid else TEXT
        return st.lists(item, max_size=5)
    if isinstance(field, forms.ChoiceField | forms.ModelChoiceField):
        valid = [str(getattr(v, "value", v)) for v, _ in field.choices if v != ""][:20]
        return st.one_of(st.sampled_from(valid), TEXT) if valid else TEXT
    if isinstance(field, forms.BooleanField):
        return st.one_of(st.sampled_from(["on", "", "false", "0"]), TEXT)
    if isinstance(field, forms.DateField):
        return DATE
    if isinstance(field, forms.IntegerField | forms.DecimalField | forms.FloatField):
        return NUMBER
    return TEXT


def hostile_form_data(form_class, **form_kwargs):
    fields = form_class(**form_kwargs).fields
    return st.fixed_dictionaries({}, optional={name: field_strategy(f) for name, f in fields.items()})


def database_digest() -> dict:
    """Row count and content hash of every table (sessions aside): equal digests mean nothing was written."""
    tables = [t for t in connection.introspection.table_names() if t != "django_session"]
    sql = " UNION ALL ".join(
        f"SELECT '{t}', count(*), md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM \"{t}\" x"
        for t in tables
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return {name: (count, digest) for name, count, digest in cursor.fetchall()}


def changed_tables(before: dict, after: dict) -> list[str]:
    return sorted(t for t in before if before[t] != after.get(t))


def in_savepoint(function):
    """Run `function` and roll back whatever it wrote."""
    sid = transaction.savepoint()
    try:
        return function()
    finally:
        transaction.savepoint_rollback(sid)


def assert_safe_response(response, password_hash: str):
    assert response.status_code in (200, 302, 400, 403, 404, 422), response.status_code
    body = response.content.decode("utf-8", "replace")
    assert XSS not in body and IMG not in body, "markup echoed unescaped"
    assert password_hash not in body, "template syntax was evaluated"


def post_hostile(client, url, data, password_hash, *, accepted_status=302):
    """POST `data`; a refused request must leave every table as it was. Returns True when it was accepted."""
    before = database_digest()
    response = client.post(url, data)
    assert_safe_response(response, password_hash)
    TOTALS["tried"] += 1
    if response.status_code == accepted_status:
        TOTALS["accepted"] += 1
        return True
    TOTALS["refused"] += 1
    assert changed_tables(before, database_digest()) == [], "a refused request wrote to the database"
    return False


@pytest.fixture(scope="module", autouse=True)
def report_totals():
    yield
    print(f"\nhostile inputs: {TOTALS['tried']} tried, {TOTALS['refused']} refused, "
          f"{TOTALS['accepted']} accepted as valid")


def test_the_digest_sees_any_write(db, drafter):
    before = database_digest()
    sid = transaction.savepoint()
    type(drafter).objects.filter(pk=drafter.pk).update(first_name="Mario")
    assert changed_tables(before, database_digest()) == ["auth_user"]
    transaction.savepoint_rollback(sid)
    assert changed_tables(before, database_digest()) == []


# --- Workflow step forms (/attivita/<task>/) ----------------------------------------------------------------

STEPS = ["negotiate", "consult_dg", "approve", "giunta", "notify_government", "inform_assembly",
         "record_observations", "sign", "ratify", "publish"]


def drive_to(step, p):
    """An intesa with one DG, moved through the lifecycle until `step` is open. Returns (task, acting user)."""
    agreement = wf.proposal_start(actor=p["drafter"], title="Intesa con la Région Sud", kind=AgreementKind.INTESA,
                                  counterpart=CounterpartFactory(name="Région Sud"), dgs=[p["dg_agri"]],
                                  director=p["director"], duration_months=36)
    today = datetime.date(2026, 3, 2)
    moves = [
        ("negotiate", p["drafter"], {"confirm": True}),
        ("consult_dg", p["referent_agri"], {"kind": OpinionKind.FAVOURABLE, "notes": ""}),
        ("approve", p["director"], {"decision": Decision.APPROVE, "remarks": ""}),
        ("giunta", p["secretariat"], {"dgr_number": "101/2026", "dgr_date": today}),
        ("notify_government", p["secretariat"], {"date": today, "protocol": "PG/1"}),
        ("inform_assembly", p["secretariat"], {"date": today, "protocol": "AL/1"}),
        ("record_observations", p["secretariat"], {"outcome": ObservationsOutcome.NULLA_OSTA, "date": today}),
        ("sign", p["drafter"], {"place": "Marsiglia", "date": today}),
        ("ratify", p["secretariat"], {"transmission_date": today, "act": "DAL 3/2026", "date": today}),
        ("publish", p["secretariat"], {}),
    ]
    for name, user, data in moves:
        if name == step:
            return task_of(agreement, step), user
        complete(agreement, name, user, dg=p["dg_agri"] if name == "consult_dg" else None, **data)
    raise AssertionError(step)


@pytest.fixture
def people(drafter, director, secretariat, dg_agri, referent_agri):
    return {"drafter": drafter, "director": director, "secretariat": secretariat, "dg_agri": dg_agri,
            "referent_agri": referent_agri}


@pytest.mark.parametrize("step", STEPS)
def test_step_forms_refuse_hostile_input_without_writing(db, people, step):
    with time_machine.travel(START, tick=True):
        task, user = drive_to(step, people)
        client = Client()
        client.force_login(user)
        url = reverse("task_page", args=[task.pk])
        form_class = getattr(AgreementFlow, step).form_class

        @EXAMPLES
        @given(data=hostile_form_data(form_class))
        def attempt(data):
            in_savepoint(lambda: post_hostile(client, url, data, user.password))

        attempt()
