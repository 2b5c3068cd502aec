"""Accounts: API keys and deputies.

API keys: one active key per user (people.UserToken, purpose "api"), sent as `Authorization: Bearer <key>`.
Issuing a new key revokes the previous one, so a leaked key is retired by asking for another. Only the key's hash is
stored: the clear key is known once, on the token api_token_issue returns."""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agreements.common import dates
from agreements.common.audit import audit_record
from agreements.common.errors import PermissionDeniedError, ServiceError
from agreements.common.roles import Role, has_role, user_roles
from agreements.models import Delegation, UserToken
from agreements.notifications import services as notifications


def _check(*, user, actor):
    """A user manages their own key, an administrator anyone's; actor None is the shell (manage.py api_token)."""
    if actor is not None and actor.pk != user.pk and not has_role(actor, Role.ADMIN):
        raise PermissionDeniedError(_("Solo l'utente stesso o un amministratore gestisce la sua chiave API."))


@transaction.atomic
def api_token_issue(*, user, actor) -> UserToken:
    _check(user=user, actor=actor)
    if not user.is_active or not user_roles(user):
        raise PermissionDeniedError(_("L'utente %s non è attivo o non ha un ruolo: nessuna chiave API.") % user)
    revoked = UserToken.objects.filter(
        user=user, purpose=UserToken.Purpose.API, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    token = UserToken.issue(user=user, purpose=UserToken.Purpose.API)  # token.key: the clear key, shown once
    audit_record(actor=actor, action="api_token_issue", detail={"user": user.get_username(), "revoked": revoked})
    return token


@transaction.atomic
def api_token_revoke(*, user, actor) -> int:
    _check(user=user, actor=actor)
    revoked = UserToken.objects.filter(
        user=user, purpose=UserToken.Purpose.API, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    if revoked:
        audit_record(actor=actor, action="api_token_revoke", detail={"user": user.get_username(), "revoked": revoked})
    return revoked


def api_user(key: str):
    """The active user holding the active key, or None (looked up by the key's hash)."""
    token = UserToken.active(key, UserToken.Purpose.API)
    return token.user if token else None


def has_api_token(user) -> bool:
    return UserToken.objects.filter(user=user, purpose=UserToken.Purpose.API, revoked_at__isnull=True).exists()


# --- Deputies ------------------------------------------------------------------------------------------------


@transaction.atomic
def delegation_create(*, actor, user, deputy, starts_on: datetime.date, ends_on: datetime.date) -> Delegation:
    """`deputy` acts on `user`'s tasks between the dates. Users name their own deputies; admins anyone's."""
    if actor.pk != user.pk and not has_role(actor, Role.ADMIN):
        raise PermissionDeniedError(_("Puoi nominare un sostituto solo per te stesso."))
    if deputy.pk == user.pk:
        raise ServiceError(_("Non puoi nominare te stesso come sostituto."))
    if ends_on < starts_on:
        raise ServiceError(_("La data di fine precede quella di inizio."))
    delegation = Delegation.objects.create(user=user, deputy=deputy, starts_on=starts_on, ends_on=ends_on)
    audit_record(actor=actor, action="delegation_create",
                 detail={"user": user.get_username(), "deputy": deputy.get_username(),
                         "starts_on": starts_on, "ends_on": ends_on})
    if starts_on <= dates.today() <= ends_on:  # away from today: the deputy is told of the tasks waiting
        notifications.delegation_started(delegation=delegation)
    return delegation


# --- accounts from the Region's directory (LDAP / Active Directory, agreements.accounts.directory) ---------------

@transaction.atomic
def directory_user_sync(*, user, group_names) -> dict:
    """At each directory login: the user's roles and DG are what the directory's groups say (settings
    LDAP_ROLE_GROUPS and LDAP_DG_GROUPS map group names to roles and to DG codes). Roles the directory does not
    grant are taken away; one audit event when something changed, none otherwise."""
    from django.conf import settings
    from django.contrib.auth.models import Group

    from agreements.models import Profile, Sector

    names = {name.casefold() for name in group_names}
    roles = {role for group, role in settings.LDAP_ROLE_GROUPS.items() if group.casefold() in names}
    dg_codes = sorted(code for group, code in settings.LDAP_DG_GROUPS.items() if group.casefold() in names)
    before_roles = set(user.groups.filter(name__in=Role.ALL).values_list("name", flat=True))
    profile = Profile.objects.filter(user=user).select_related("dg").first()
    before_dg = profile.dg.code if profile and profile.dg_id else None
    dg = Sector.objects.filter(code__in=dg_codes, is_dg=True).order_by("code").first()
    after = {"roles": sorted(roles), "dg": dg.code if dg else None}
    if (before_roles, before_dg) == (roles, after["dg"]):
        return after
    user.groups.remove(*Group.objects.filter(name__in=before_roles - roles))
    user.groups.add(*Group.objects.filter(name__in=roles - before_roles))
    if dg is not None or profile is not None:
        Profile.objects.update_or_create(user=user, defaults={"dg": dg})
    audit_record(actor=user, action="directory_sync", changes={
        "roles": [sorted(before_roles), after["roles"]], "dg": [before_dg, after["dg"]]})
    return after
