"""Login against the Region's directory (LDAP or Active Directory) with django-auth-ldap, when LDAP_SERVER_URI is
set (config/settings/base.py reads the LDAP_* variables). The directory checks the password; the user is created
or updated from it at each login (name, e-mail), and their roles and DG come from the directory's groups
(accounts.services.directory_user_sync). Users in LDAP_DENY_GROUP, or disabled in Active Directory
(userAccountControl ACCOUNTDISABLE), are refused. Local accounts (AccountBackend, after this backend) keep working:
the embedded demo users and the administrators."""

from django_auth_ldap.backend import LDAPBackend, _LDAPUser

from .backends import signed_in_user
from .services import directory_user_sync

ACCOUNTDISABLE = 0x2  # Active Directory's userAccountControl flag of a disabled account


class DirectoryBackend(LDAPBackend):
    def authenticate_ldap_user(self, ldap_user, password):
        user = super().authenticate_ldap_user(ldap_user, password)
        if user is None:
            return None
        control = (ldap_user.attrs or {}).get("useraccountcontrol") or ["0"]
        if int(control[0]) & ACCOUNTDISABLE:
            return None
        directory_user_sync(user=user, group_names=ldap_user.group_names)
        return user

    def get_user(self, user_id):
        # LDAPBackend.get_user, with the user read by signed_in_user (roles and unread count in the same query).
        user = signed_in_user(user_id)
        if user is not None:
            _LDAPUser(self, user=user)  # sets user.ldap_user, as LDAPBackend.get_user does
        return user
