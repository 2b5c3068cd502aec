"""The office's roles (Django groups, created by migration 0002) and what each may do."""

from django.contrib.auth.models import Group, Permission
from django.utils.translation import gettext_lazy as _


class Role:
    DRAFTER = "redattore"
    DG_REFERENT = "referente_dg"
    DIRECTOR = "dirigente"
    SECRETARIAT = "segreteria_giunta"
    OBSERVER = "osservatore"
    ADMIN = "amministratore"

    ALL = (DRAFTER, DG_REFERENT, DIRECTOR, SECRETARIAT, OBSERVER, ADMIN)
    # Roles of the Gabinetto, who see every agreement. A DG referent sees only their DG's agreements.
    SEE_ALL = (DRAFTER, DIRECTOR, SECRETARIAT, OBSERVER, ADMIN)


ROLE_LABELS = {
    Role.DRAFTER: _("Redattori"),
    Role.DG_REFERENT: _("Referenti DG"),
    Role.DIRECTOR: _("Dirigenti"),
    Role.SECRETARIAT: _("Segreteria di Giunta"),
    Role.OBSERVER: _("Osservatori"),
    Role.ADMIN: _("Amministratori"),
}

# Django permissions per role: the Viewflow inbox needs the process view permission, the admin site needs
# model permissions. Everything else is decided by role in the services.
ROLE_PERMISSIONS = {
    Role.DRAFTER: ["workflows.view_agreementprocess", "agreements.view_agreement", "agreements.act_drafter"],
    Role.DG_REFERENT: ["workflows.view_agreementprocess", "agreements.view_agreement", "agreements.give_opinion"],
    Role.DIRECTOR: ["workflows.view_agreementprocess", "agreements.view_agreement", "agreements.act_director"],
    Role.SECRETARIAT: ["workflows.view_agreementprocess", "agreements.view_agreement", "agreements.act_secretariat"],
    Role.OBSERVER: ["workflows.view_agreementprocess", "agreements.view_agreement"],
    Role.ADMIN: ["*"],
}


def user_roles(user) -> frozenset[str]:
    """The user's role names, cached on the user object for the request (read with the user of a request by
    agreements.accounts.backends, else here with one query)."""
    if user is None or not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_intese_roles", None)
    if cached is None:
        remember_roles(user, user.groups.values_list("name", flat=True))
        cached = user._intese_roles
    return cached


def remember_roles(user, group_names) -> None:
    """Keep the user's roles, from the names of their groups read by the caller, on the user object."""
    roles = frozenset(group_names)
    user._intese_roles = roles | {Role.ADMIN} if user.is_superuser else roles


def has_role(user, *roles: str) -> bool:
    return bool(user_roles(user) & set(roles))


def sees_everything(user) -> bool:
    return has_role(user, *Role.SEE_ALL)


def user_dg_id(user):
    """The DG a referent belongs to, or None."""
    if user is None or not user.is_authenticated:
        return None
    profile = getattr(user, "profile", None) if hasattr(user, "profile") else None
    return profile.dg_id if profile else None


def sync_role_permissions(**kwargs):
    """post_migrate: give each role group its permissions (idempotent)."""
    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        if perms == ["*"]:
            wanted = Permission.objects.filter(
                content_type__app_label__in=["agreements", "workflows", "auth", "viewflow"]
            )
        else:
            wanted = Permission.objects.none()
            for perm in perms:
                app_label, codename = perm.split(".")
                wanted = wanted | Permission.objects.filter(content_type__app_label=app_label, codename=codename)
        group.permissions.set(wanted)
