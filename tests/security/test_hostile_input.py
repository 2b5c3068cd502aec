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
from agreements.procedure.services import Decision
from tests.support.factories import CounterpartFactory
from tests.support.lifecycle import complete, task_of
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
    """POST `data`; a refused request must leave every table as it was. Returns the response when accepted."""
    before = database_digest()
    response = client.post(url, data)
    assert_safe_response(response, password_hash)
    TOTALS["tried"] += 1
    if response.status_code == accepted_status:
        TOTALS["accepted"] += 1
        return response
    TOTALS["refused"] += 1
    assert changed_tables(before, database_digest()) == [], "a refused request wrote to the database"
    return None


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

STEPS = ["inform_assembly_start", "negotiate", "consult_dg", "approve", "giunta", "notify_government",
         "transmit_assembly", "record_observations", "report_outcome", "assembly_observations", "final_approval",
         "sign", "ratify", "publish"]


def drive_to(step, p):
    """An intesa with one DG, moved through the lifecycle until `step` is open. Returns (task, acting user)."""
    agreement = wf.proposal_start(actor=p["drafter"], title="Intesa con la Région Sud", kind=AgreementKind.INTESA,
                                  counterpart=CounterpartFactory(name="Région Sud"), dgs=[p["dg_agri"]],
                                  director=p["director"], duration_months=36)
    today = datetime.date(2026, 3, 2)
    moves = [
        ("inform_assembly_start", p["secretariat"], {"date": today, "protocol": "AL/0"}),
        ("negotiate", p["drafter"], {"confirm": True}),
        ("consult_dg", p["referent_agri"], {"kind": OpinionKind.FAVOURABLE, "notes": ""}),
        ("approve", p["director"], {"decision": Decision.APPROVE, "remarks": ""}),
        ("giunta", p["secretariat"], {"dgr_number": "101/2026", "dgr_date": today}),
        ("notify_government", p["secretariat"], {"date": today, "protocol": "PG/1"}),
        ("transmit_assembly", p["secretariat"], {"date": today, "protocol": "AL/1"}),
        ("record_observations", p["secretariat"], {"outcome": ObservationsOutcome.NULLA_OSTA, "date": today}),
        ("report_outcome", p["secretariat"], {"date": today, "protocol": "AL/2"}),
        ("assembly_observations", p["secretariat"], {"outcome": "none"}),
        ("final_approval", p["secretariat"], {"dgr_number": "102/2026", "dgr_date": today}),
        ("sign", p["drafter"], {"place": "Marsiglia", "date": today, "region_signatory_office": "president",
                                "region_signatory_name": "Michele de Pascale"}),
        ("ratify", p["secretariat"], {"transmission_date": today, "information_attached": True, "form": "resolution",
                                      "act": "DAL 3/2026", "date": today}),
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
            def run():
                accepted = post_hostile(client, url, data, user.password)
                if accepted:  # the agreement's page shows what was stored, escaped
                    assert_safe_response(client.get(accepted["Location"]), user.password)

            in_savepoint(run)

        attempt()


# --- The agreement's pages (proposal, record, articles, signatories, closing, no renewal) -------------------


def hostile_formset_data(form_class, prefix: str):
    """A formset's POST: 0-3 hostile rows, and now and then a hostile management form (counts, max, min)."""
    fields = {name: field_strategy(field) for name, field in form_class().fields.items()}
    row = st.fixed_dictionaries({}, optional={**fields, "DELETE": st.sampled_from(["on", ""])})
    management = st.fixed_dictionaries(
        {}, optional={f"{prefix}-{n}": NUMBER for n in ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS",
                                                         "MAX_NUM_FORMS")}
    )

    def build(rows, hostile_management):
        data = {f"{prefix}-TOTAL_FORMS": str(len(rows)), f"{prefix}-INITIAL_FORMS": "0",
                f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "1000"}
        for i, values in enumerate(rows):
            data.update({f"{prefix}-{i}-{name}": value for name, value in values.items()})
        data.update(hostile_management)
        return data

    return st.builds(build, st.lists(row, max_size=3), management)


def agreement_in(status, p, **fields):
    from agreements.models import Status
    from tests.support.factories import AgreementFactory

    return AgreementFactory(status=getattr(Status, status), drafted_by=p["drafter"], dgs=[p["dg_agri"]], **fields)


def _edit_case(p):
    from agreements.records.forms import AgreementEditForm

    agreement = agreement_in("NEGOTIATION", p)
    version = st.one_of(st.just(str(agreement.version)), NUMBER)
    data = st.builds(lambda d, v: {**d, "version": v}, hostile_form_data(AgreementEditForm), version)
    return p["drafter"], reverse("agreements:edit", args=[agreement.reference]), data


def _form_case(url_name, status, role, form_path, **fields):
    def case(p):
        from importlib import import_module

        module, name = form_path.rsplit(".", 1)
        form_class = getattr(import_module(module), name)
        agreement = agreement_in(status, p, **fields)
        return p[role], reverse(url_name, args=[agreement.reference]), hostile_form_data(form_class)

    return case


def _formset_case(url_name, form_path, prefix):
    def case(p):
        from importlib import import_module

        module, name = form_path.rsplit(".", 1)
        agreement = agreement_in("NEGOTIATION", p)
        return (p["drafter"], reverse(url_name, args=[agreement.reference]),
                hostile_formset_data(getattr(import_module(module), name), prefix))

    return case


def _proposal_case(p):
    from agreements.records.forms import ProposalForm

    CounterpartFactory(name="Land Baden-Württemberg")
    return p["drafter"], reverse("agreements:create"), hostile_form_data(ProposalForm)


PAGE_FORMS = {
    "proposal": _proposal_case,
    "edit": _edit_case,
    "articles": _formset_case("agreements:articles", "agreements.records.forms.ArticleForm", "articles"),
    "signatories": _formset_case("agreements:signatories", "agreements.records.forms.SignatoryForm", "signatories"),
    "close": _form_case("agreements:close", "NEGOTIATION", "director", "agreements.records.forms.CloseForm"),
    "renewal_decline": _form_case("agreements:renewal_decline", "IN_FORCE", "director",
                                  "agreements.records.forms.RenewalDeclineForm", end_date=datetime.date(2027, 1, 1)),
}


@pytest.mark.parametrize("name", sorted(PAGE_FORMS))
def test_agreement_page_forms_refuse_hostile_input_without_writing(db, people, name):
    with time_machine.travel(START, tick=True):
        user, url, strategy = PAGE_FORMS[name](people)
        client = Client()
        client.force_login(user)

        @EXAMPLES
        @given(data=strategy)
        def attempt(data):
            def run():
                accepted = post_hostile(client, url, data, user.password)
                if accepted:
                    # whatever was stored shows escaped on the page it leads to and on every agreement's page
                    assert_safe_response(client.get(accepted["Location"]), user.password)
                    from agreements.models import Agreement

                    for agreement in Agreement.objects.all():
                        page = client.get(reverse("agreements:detail", args=[agreement.reference]))
                        assert page.status_code == 200
                        assert_safe_response(page, user.password)

            in_savepoint(run)

        attempt()


# --- Query strings of the pages that read -------------------------------------------------------------------


def test_register_filters_survive_hostile_query_strings(db, people):
    from agreements.records.filters import RegisterFilter

    agreement_in("IN_FORCE", people, title=XSS)
    client = Client()
    client.force_login(people["drafter"])
    names = [*RegisterFilter().form.fields, "page", "ordering"]
    query = st.fixed_dictionaries({}, optional={n: st.one_of(TEXT, NUMBER, DATE) for n in names})

    @EXAMPLES
    @given(params=query)
    def attempt(params):
        before = database_digest()
        response = client.get(reverse("agreements:register"), params)
        assert response.status_code == 200
        assert_safe_response(response, people["drafter"].password)
        assert changed_tables(before, database_digest()) == []
        TOTALS["tried"] += 1
        TOTALS["query strings"] += 1

    attempt()


# --- JSON API payloads --------------------------------------------------------------------------------------

JSON_SCALAR = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), TEXT,
                        st.integers(min_value=10**20, max_value=10**30))
JSON = st.recursive(JSON_SCALAR, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                         st.dictionaries(TEXT, inner, max_size=4)), max_leaves=12)
PROPOSAL_FIELDS = {
    "title": st.one_of(TEXT, JSON), "kind": st.one_of(st.sampled_from(["intesa", "memorandum", "accordo"]), JSON),
    "counterpart": st.one_of(st.just("Région Sud"), JSON), "dgs": st.one_of(st.just(["dg-agri"]), JSON),
    "plan_actions": JSON, "languages": st.one_of(st.just(["it", "fr"]), JSON), "authentic_languages": JSON,
    "subject_areas": JSON, "binding": JSON, "director": st.one_of(st.just("dirigente"), JSON),
    "duration_months": st.one_of(st.integers(), JSON), "renewal_clause": st.one_of(st.just("tacit"), JSON),
    "renewal_notice_days": st.one_of(st.integers(), JSON), "consultation_days": st.one_of(st.integers(), JSON),
    "estimated_cost": st.one_of(st.decimals(allow_nan=False, allow_infinity=False).map(str), JSON),
}
RAW_BODY = st.one_of(st.binary(max_size=300), st.sampled_from([b"", b"{", b"null", b"[]", b'"x"', b"\xff\xfe",
                                                              b'{"title": "\\ud800"}', b"{" * 5000 + b"}" * 5000]))


def api_client(user):
    from agreements.accounts.services import api_token_issue

    key = api_token_issue(user=user, actor=user).key
    return Client(headers={"Authorization": f"Bearer {key}"})


def api_post_hostile(client, url, body: bytes, password_hash):
    before = database_digest()
    response = client.post(url, body, content_type="application/json")
    assert response.status_code in (200, 201, 400, 401, 403, 404, 409, 422), (response.status_code, response.content)
    assert response["Content-Type"].startswith("application/json")
    assert password_hash not in response.content.decode("utf-8", "replace")
    TOTALS["tried"] += 1
    if response.status_code in (200, 201):
        TOTALS["accepted"] += 1
        return response
    TOTALS["refused"] += 1
    assert changed_tables(before, database_digest()) == [], "a refused API request wrote to the database"
    return None


def _json_bytes(value) -> bytes:
    import json

    return json.dumps(value).encode()


@pytest.mark.parametrize("shape", ["fields", "raw"])
def test_api_proposal_refuses_hostile_payloads_without_writing(db, people, shape):
    CounterpartFactory(name="Région Sud")
    client = api_client(people["drafter"])
    bodies = (st.fixed_dictionaries({}, optional={**PROPOSAL_FIELDS, "colore": JSON}).map(_json_bytes)
              if shape == "fields" else RAW_BODY)

    @EXAMPLES
    @given(body=bodies)
    def attempt(body):
        in_savepoint(lambda: api_post_hostile(client, "/api/agreements", body, people["drafter"].password))

    attempt()


@pytest.mark.parametrize("step", ["negotiate", "consult_dg", "approve", "giunta", "record_observations", "ratify"])
def test_api_task_completion_refuses_hostile_data_without_writing(db, people, step):
    with time_machine.travel(START, tick=True):
        task, user = drive_to(step, people)
        client = api_client(user)
        form_fields = getattr(AgreementFlow, step).form_class().fields
        data = st.one_of(
            st.fixed_dictionaries({}, optional={n: st.one_of(field_strategy(f), JSON) for n, f in form_fields.items()}),
            JSON,
        )
        body = st.one_of(st.builds(lambda d: {"step": step, "data": d}, data), st.dictionaries(TEXT, JSON, max_size=3))
        body = body.map(_json_bytes)

        @EXAMPLES
        @given(body=body)
        def attempt(body):
            in_savepoint(lambda: api_post_hostile(client, f"/api/tasks/{task.pk}/complete", body, user.password))

        attempt()


def test_api_register_survives_hostile_query_strings(db, people):
    agreement_in("IN_FORCE", people, title=XSS)
    client = api_client(people["referent_agri"])
    names = ["q", "kind", "status", "country", "dg", "plan_action", "expiring_before", "ordering", "limit", "offset"]

    @EXAMPLES
    @given(params=st.fixed_dictionaries({}, optional={n: st.one_of(TEXT, NUMBER, DATE) for n in names}))
    def attempt(params):
        response = client.get("/api/agreements", params)
        assert response.status_code in (200, 422), (response.status_code, response.content[:300])
        TOTALS["tried"] += 1
        TOTALS["query strings"] += 1

    attempt()
