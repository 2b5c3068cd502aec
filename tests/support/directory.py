"""A real OpenLDAP server (Debian's slapd) for the directory login tests: started on its own port with a
throwaway database under the test's temporary folder, loaded with a few people and groups, stopped afterwards."""

import shutil
import signal
import subprocess
import time

import pytest

from tests.platform.test_serve import free_port

SUFFIX = "dc=regione,dc=example,dc=it"
ROOT_DN = f"cn=admin,{SUFFIX}"
ROOT_PASSWORD = "root-secret"
PASSWORD = "segreta-123"
SLAPD = shutil.which("slapd") or "/usr/sbin/slapd"

DIRECTORY = f"""
dn: {SUFFIX}
objectClass: dcObject
objectClass: organization
o: Regione
dc: regione

dn: ou=people,{SUFFIX}
objectClass: organizationalUnit
ou: people

dn: ou=groups,{SUFFIX}
objectClass: organizationalUnit
ou: groups
""" + "".join(f"""
dn: uid={uid},ou=people,{SUFFIX}
objectClass: inetOrgPerson
uid: {uid}
cn: {given} {family}
givenName: {given}
sn: {family}
mail: {uid}@regione.example.it
userPassword: {PASSWORD}
""" for uid, given, family in [("mario.rossi", "Mario", "Rossi"), ("giulia.verdi", "Giulia", "Verdi"),
                               ("luca.neri", "Luca", "Neri"), ("anna.bianchi", "Anna", "Bianchi")]) + "".join(f"""
dn: cn={group},ou=groups,{SUFFIX}
objectClass: groupOfNames
cn: {group}
""" + "".join(f"member: uid={uid},ou=people,{SUFFIX}\n" for uid in members) for group, members in [
    ("intese-redattori", ["mario.rossi", "luca.neri"]),
    ("intese-referenti-dg", ["giulia.verdi", "anna.bianchi"]),
    ("intese-dg-agri", ["giulia.verdi"]),
    ("intese-dg-crli", ["anna.bianchi"]),
    ("intese-disabilitati", ["luca.neri"]),
])


@pytest.fixture(scope="session")
def slapd(tmp_path_factory):
    """The URI of a running slapd holding DIRECTORY (people under ou=people, groupOfNames under ou=groups)."""
    folder = tmp_path_factory.mktemp("slapd")
    (folder / "db").mkdir()
    config = folder / "slapd.conf"
    config.write_text("\n".join([
        *(f"include /etc/ldap/schema/{name}.schema" for name in ("core", "cosine", "inetorgperson")),
        f"pidfile {folder / 'slapd.pid'}",
        "modulepath /usr/lib/ldap",
        "moduleload back_mdb",
        "database mdb",
        "maxsize 10485760",
        f'suffix "{SUFFIX}"',
        f'rootdn "{ROOT_DN}"',
        f"rootpw {ROOT_PASSWORD}",
        f"directory {folder / 'db'}",
        "access to attrs=userPassword by anonymous auth by * none",
        "access to * by * read",
        "",
    ]))
    uri = f"ldap://127.0.0.1:{free_port()}"
    log = open(folder / "slapd.log", "w")
    # -d 0: stay in the foreground (no fork), so the test owns the process and stops it
    server = subprocess.Popen([SLAPD, "-f", str(config), "-h", f"{uri}/", "-d", "0"], stdout=log,
                              stderr=subprocess.STDOUT)
    try:
        ldif = folder / "directory.ldif"
        ldif.write_text(DIRECTORY)
        deadline = time.monotonic() + 30
        while True:
            loaded = subprocess.run(["ldapadd", "-x", "-H", uri, "-D", ROOT_DN, "-w", ROOT_PASSWORD, "-f", str(ldif)],
                                    capture_output=True, text=True)
            if loaded.returncode == 0:
                break
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"slapd did not start: {loaded.stderr} {(folder / 'slapd.log').read_text()}")
            time.sleep(0.3)
        yield uri
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def directory_settings(uri: str) -> dict:
    """What the LDAP_* variables make of config/settings/base.py, for a test's `settings` fixture."""
    import ldap
    from django_auth_ldap.config import GroupOfNamesType, LDAPSearch

    return {
        "AUTH_LDAP_SERVER_URI": uri,
        "AUTH_LDAP_BIND_DN": "",
        "AUTH_LDAP_BIND_PASSWORD": "",
        "AUTH_LDAP_USER_SEARCH": LDAPSearch(f"ou=people,{SUFFIX}", ldap.SCOPE_SUBTREE, "(uid=%(user)s)"),
        "AUTH_LDAP_GROUP_SEARCH": LDAPSearch(f"ou=groups,{SUFFIX}", ldap.SCOPE_SUBTREE, "(objectClass=groupOfNames)"),
        "AUTH_LDAP_GROUP_TYPE": GroupOfNamesType(),
        "AUTH_LDAP_DENY_GROUP": f"cn=intese-disabilitati,ou=groups,{SUFFIX}",
        "AUTH_LDAP_USER_ATTR_MAP": {"first_name": "givenName", "last_name": "sn", "email": "mail"},
        "AUTH_LDAP_ALWAYS_UPDATE_USER": True,
        "LDAP_DG_GROUPS": {"intese-dg-agri": "dg-agri", "intese-dg-crli": "dg-crli"},
    }
