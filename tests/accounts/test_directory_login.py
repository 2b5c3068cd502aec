"""Accounts from the Region's directory: a real OpenLDAP server (slapd, tests/support/directory.py) checks the
passwords; a directory user of group "intese-redattori" logs in as a drafter, a DG group sets a referent's DG, a
disabled one (group intese-disabilitati, LDAP_DENY_GROUP) is refused; local accounts keep working."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from agreements.common.roles import Role, user_roles
from agreements.models import AuditEvent, Profile
from tests.support.directory import PASSWORD, SUFFIX, directory_settings, slapd  # noqa: F401
from tests.support.factories import SectorFactory, UserFactory

LOGIN = "/accounts/login/"
BACKENDS = ["axes.backends.AxesStandaloneBackend", "agreements.accounts.directory.DirectoryBackend",
            "agreements.accounts.backends.AccountBackend"]


@pytest.fixture
def directory(settings, slapd):  # noqa: F811
    for name, value in directory_settings(slapd).items():
        setattr(settings, name, value)
    settings.AUTHENTICATION_BACKENDS = BACKENDS
    SectorFactory(code="dg-agri", name="DG AGRI")
    SectorFactory(code="dg-crli", name="DG CRLI")
    return slapd


def _login(client, username, password):
    return client.post(LOGIN, {"username": username, "password": password})


@pytest.mark.django_db
def test_a_directory_drafter_logs_in_as_a_drafter_created_from_the_directory(client, directory):
    response = _login(client, "mario.rossi", PASSWORD)
    assert response.status_code == 302 and "_auth_user_id" in client.session
    user = get_user_model().objects.get(username="mario.rossi")
    assert (user.first_name, user.last_name, user.email) == ("Mario", "Rossi", "mario.rossi@regione.example.it")
    assert user_roles(user) == {Role.DRAFTER} and not user.has_usable_password()
    assert client.get("/accordi/nuovo/").status_code == 200  # a drafter's page
    event = AuditEvent.objects.get(action="directory_sync", actor=user)
    assert event.changes["roles"] == [[], ["redattore"]]
    # the next login changes nothing: no second audit event
    client.logout()
    assert _login(client, "mario.rossi", PASSWORD).status_code == 302
    assert AuditEvent.objects.filter(action="directory_sync").count() == 1


@pytest.mark.django_db
def test_a_dg_group_sets_the_referents_dg(client, directory):
    assert _login(client, "giulia.verdi", PASSWORD).status_code == 302
    user = get_user_model().objects.get(username="giulia.verdi")
    assert user_roles(user) == {Role.DG_REFERENT} and Profile.objects.get(user=user).dg.code == "dg-agri"
    client.logout()
    assert _login(client, "anna.bianchi", PASSWORD).status_code == 302
    assert Profile.objects.get(user__username="anna.bianchi").dg.code == "dg-crli"


@pytest.mark.django_db
def test_roles_the_directory_no_longer_grants_are_taken_away(client, directory):
    user = UserFactory(username="mario.rossi", roles=[Role.DIRECTOR, Role.DRAFTER])
    assert _login(client, "mario.rossi", PASSWORD).status_code == 302
    assert user_roles(user) == {Role.DRAFTER}


@pytest.mark.django_db
def test_disabled_directory_user_and_wrong_password_are_refused(client, directory):
    response = _login(client, "luca.neri", PASSWORD)  # in intese-redattori, but also in intese-disabilitati
    assert response.status_code == 200 and "_auth_user_id" not in client.session
    response = _login(client, "mario.rossi", "sbagliata")
    assert response.status_code == 200 and "_auth_user_id" not in client.session
    assert not get_user_model().objects.filter(username="luca.neri", groups__name=Role.DRAFTER).exists()


@pytest.mark.django_db
def test_local_accounts_keep_working_next_to_the_directory(client, directory, admin_user):
    # the administrator is a local account (not in the directory): AccountBackend, after the directory
    assert _login(client, "amministratore", "password-123").status_code == 302
    assert "_auth_user_id" in client.session


def test_the_ldap_variables_turn_the_directory_on(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_"))}
    env.update(DJANGO_SETTINGS_MODULE="config.settings.dev", INTESE_VAR_DIR=str(tmp_path),
               LDAP_SERVER_URI="ldap://ldap.regione.example.it", LDAP_USER_BASE=f"ou=people,{SUFFIX}",
               LDAP_GROUP_BASE=f"ou=groups,{SUFFIX}", LDAP_DENY_GROUP=f"cn=intese-disabilitati,ou=groups,{SUFFIX}",
               LDAP_DG_GROUPS="intese-dg-agri=dg-agri,intese-dg-crli=dg-crli",
               LDAP_ROLE_GROUPS="GG-Intese-Redattori=redattore,GG-Intese-Admin=amministratore")
    code = ("import django, json; django.setup(); from django.conf import settings as s; print(json.dumps({"
            "'backends': s.AUTHENTICATION_BACKENDS, 'uri': s.AUTH_LDAP_SERVER_URI,"
            "'base': s.AUTH_LDAP_USER_SEARCH.base_dn,"
            "'deny': s.AUTH_LDAP_DENY_GROUP, 'dgs': s.LDAP_DG_GROUPS, 'roles': s.LDAP_ROLE_GROUPS}))")
    result = subprocess.run([sys.executable, "-c", code], env=env, cwd=Path(__file__).resolve().parents[2],
                            capture_output=True, text=True, check=True)
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["backends"] == BACKENDS and seen["uri"] == "ldap://ldap.regione.example.it"
    assert seen["base"] == f"ou=people,{SUFFIX}" and seen["deny"].startswith("cn=intese-disabilitati")
    assert seen["dgs"] == {"intese-dg-agri": "dg-agri", "intese-dg-crli": "dg-crli"}
    assert seen["roles"] == {"GG-Intese-Redattori": "redattore", "GG-Intese-Admin": "amministratore"}
