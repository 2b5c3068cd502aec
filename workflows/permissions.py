"""Who may act on a task: its holder, the holder's deputy for the period, any referent of the task's DG, or a
user of the step's role when the task is in the queue. A director never acts on a text they drafted."""

from agreements.common import dates
from agreements.common.roles import Role, has_role, user_dg_id
from agreements.models import Delegation

from .models import AgreementProcess

# What completing a task reads with its run: the agreement and the people its notifications reach.
AGREEMENT_AT_HAND = ("agreement__counterpart", "agreement__drafted_by__profile", "agreement__director__profile")


def agreement_of(task):
    return AgreementProcess.objects.select_related("agreement").get(pk=task.process_id).agreement


def principal_for(user, task, agreement=None):
    """The user `user` acts for on `task`: themselves, or the absent holder they deputise. None: no right.
    `agreement`, the task's agreement when the caller has it in hand (else it is read)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    node = task.flow_task
    roles = getattr(node, "roles", ())
    agreement = agreement if agreement is not None else agreement_of(task)
    candidates = [user]
    if task.owner_id and task.owner_id != user.pk:
        today = dates.today()
        if Delegation.objects.filter(user_id=task.owner_id, deputy=user, starts_on__lte=today,
                                     ends_on__gte=today).exists():
            candidates.append(task.owner)
    for principal in candidates:
        if getattr(node, "per_dg", False):
            if has_role(principal, Role.ADMIN) or (
                has_role(principal, Role.DG_REFERENT) and user_dg_id(principal) == task.data.get("dg")
            ):
                return principal
            continue
        if not has_role(principal, *roles, Role.ADMIN):
            continue
        if task.owner_id and principal.pk != task.owner_id and not has_role(principal, Role.ADMIN):
            continue  # held by someone else: only they or their deputy act
        if Role.DIRECTOR in roles and agreement.drafted_by_id == principal.pk:
            continue  # four-eyes
        return principal
    return None


def may_act(user, task) -> bool:
    return principal_for(user, task) is not None
