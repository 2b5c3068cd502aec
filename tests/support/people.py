import pytest

from agreements.common.roles import Role
from tests.support.factories import SectorFactory, UserFactory, referent


@pytest.fixture
def dg_agri(db):
    return SectorFactory(code="dg-agri", name="DG AGRI")


@pytest.fixture
def dg_crli(db):
    return SectorFactory(code="dg-crli", name="DG CRLI")


@pytest.fixture
def drafter(db):
    return UserFactory(username="redattore", roles=[Role.DRAFTER])


@pytest.fixture
def director(db):
    return UserFactory(username="dirigente", roles=[Role.DIRECTOR])


@pytest.fixture
def secretariat(db):
    return UserFactory(username="segreteria", roles=[Role.SECRETARIAT])


@pytest.fixture
def observer(db):
    return UserFactory(username="osservatore", roles=[Role.OBSERVER])


@pytest.fixture
def admin_user(db):
    return UserFactory(username="amministratore", roles=[Role.ADMIN])


@pytest.fixture
def referent_agri(dg_agri):
    return referent(dg_agri, "referente-agri")


@pytest.fixture
def referent_crli(dg_crli):
    return referent(dg_crli, "referente-crli")


@pytest.fixture
def nogroup_user(db):
    return UserFactory(username="nessun-ruolo")
