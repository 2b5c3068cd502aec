"""Fixtures shared by the plan monitoring, export and API tests: the Region's plan loaded from its YAML file and
a few agreements in two DGs. Import with `from tests.support.register import *` in a test module."""

import datetime

import pytest

from agreements.models import Action, AgreementKind, Sector, Status
from agreements.plan.services import load_plan
from tests.support.factories import AgreementFactory, CounterpartFactory, InForceAgreementFactory, referent


@pytest.fixture
def plan(db):
    load_plan()
    return {"actions": {a.number: a for a in Action.objects.filter(plan__code="2022-2023")},
            "dgs": {s.code: s for s in Sector.objects.all()}}


@pytest.fixture
def plan_dg_agri(plan):
    return plan["dgs"]["dg-agri"]


@pytest.fixture
def plan_dg_crli(plan):
    return plan["dgs"]["dg-crli"]


@pytest.fixture
def plan_referent_agri(plan_dg_agri):
    return referent(plan_dg_agri, "referente-agri")


@pytest.fixture
def register_agreements(plan, plan_dg_agri, plan_dg_crli):
    """Three agreements: Nouvelle-Aquitaine (DG AGRI and CRLI, action 1, in force, signed 20/04/2022),
    Pennsylvania (DG CRLI only, action 7, in force, signed 01/07/2022), Catalogna (DG CRLI only, action 2,
    still in consultation)."""
    aquitaine = InForceAgreementFactory(
        reference="INT-2022-001", title="Intesa con la Nouvelle-Aquitaine (rinnovo)",
        counterpart=CounterpartFactory(name="Nouvelle-Aquitaine", country="Francia"),
        dgs=[plan_dg_agri, plan_dg_crli], dgr_number="512/2022", dgr_date=datetime.date(2022, 3, 28),
    )
    aquitaine.plan_actions.set([plan["actions"][1]])
    pennsylvania = InForceAgreementFactory(
        reference="INT-2022-002", title="Intesa con la Pennsylvania",
        counterpart=CounterpartFactory(name="Pennsylvania", country="Stati Uniti d'America", country_code="US",
                                       type="federated_state", language="en"),
        dgs=[plan_dg_crli], signed_on=datetime.date(2022, 7, 1), entry_into_force=datetime.date(2022, 7, 1),
        end_date=datetime.date(2027, 7, 1),
    )
    pennsylvania.plan_actions.set([plan["actions"][7]])
    catalonia = AgreementFactory(
        reference="INT-2022-003", title="Intesa con la Catalogna", kind=AgreementKind.INTESA,
        status=Status.CONSULTATION, counterpart=CounterpartFactory(name="Catalogna", country="Spagna"),
        dgs=[plan_dg_crli],
    )
    catalonia.plan_actions.set([plan["actions"][2]])
    return {"aquitaine": aquitaine, "pennsylvania": pennsylvania, "catalonia": catalonia}


def response_body(response) -> bytes:
    """The whole body of a download, streamed (CSV and XLSX) or not."""
    return b"".join(response.streaming_content) if response.streaming else response.content


def drained(response):
    """The response with its streamed body read to the end, so that the test client closes it (and the file a
    FileResponse holds open) as a WSGI server would: for a test that looks only at the status or the headers."""
    response_body(response)
    return response
