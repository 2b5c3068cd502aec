"""Who a new task reaches, and telling them: the one hook through which every human step of the flow notifies.

`Step` nodes (workflows.nodes) call `task_created` when Viewflow creates their task, whatever the node: the
holder (the Assign of the node), else every active user of the step's roles (the queue; never the drafter for a
director's step), or for a per-DG step every active referent of the DG; plus, for each of them away today, the
deputy named for the period. The message (agreements.notifications) says what is asked, by when, with the link
to the task page; after a send-back it carries what came back and why.
"""

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils.translation import gettext as _

from agreements.common import dates
from agreements.common.roles import ROLE_LABELS, Role
from agreements.history.selectors import sent_back
from agreements.models import Agreement, Delegation, Opinion, Status
from agreements.notifications import services as notifications

from .deadlines import task_due_date
from .models import AgreementProcess

User = get_user_model()


def _away_today(today):
    """Whether a user is away today (a delegation to an active deputy runs): read with the user (one query,
    not two); their delegations are read only then."""
    return Exists(Delegation.objects.filter(user=OuterRef("pk"), starts_on__lte=today, ends_on__gte=today,
                                            deputy__is_active=True))


def dg_members(task) -> list:
    """The active users whose profile names the DG of a per-DG task, by username, each with `is_referent` (they
    hold the DG referent role) and `away_today`. Read once per task and kept on it: the node's Assign takes the
    first of them (AgreementFlow.dg_referent), the notification reaches the referents (task_recipients)."""
    members = getattr(task, "_dg_members", None)
    if members is None:
        is_referent = Exists(User.groups.through.objects.filter(user=OuterRef("pk"), group__name=Role.DG_REFERENT))
        members = list(User.objects.filter(is_active=True, profile__dg_id=(task.data or {}).get("dg"))
                       .select_related("profile")
                       .annotate(is_referent=is_referent, away_today=_away_today(dates.today()))
                       .order_by("username"))
        task._dg_members = members
    return members


def task_recipients(task, agreement) -> list[notifications.Recipient]:
    node = task.flow_task
    roles = tuple(getattr(node, "roles", ()))
    recipients = []
    today = dates.today()
    # Whether a holder read from the database is away today comes with them; a holder in hand (the task's
    # owner) has their delegations read.
    away_today = _away_today(today)
    if getattr(node, "per_dg", False):
        dg_name = (task.data or {}).get("dg_name") or ""
        holders = [u for u in dg_members(task) if u.is_referent]
        recipients += [notifications.Recipient(
            u, lambda: _("Ricevi questo messaggio come referente della %(dg)s.") % {"dg": dg_name}) for u in holders]
    elif task.owner_id:
        owner = task.owner if type(task).owner.field.is_cached(task) else None  # set by the node's Assign
        holders = [owner if owner is not None and owner.pk == task.owner_id
                   else User.objects.select_related("profile").get(pk=task.owner_id)]
        recipients.append(notifications.Recipient(holders[0], lambda: _("L'attività è assegnata a te.")))
    else:
        holders = (User.objects.filter(is_active=True, groups__name__in=roles).select_related("profile")
                   .annotate(away_today=away_today).distinct())
        if Role.DIRECTOR in roles:
            holders = holders.exclude(pk=agreement.drafted_by_id)  # four-eyes: never their own text
        holders = list(holders.order_by("username"))
        recipients += [notifications.Recipient(
            u, lambda: _("L'attività è nella coda di: %(roles)s; chiunque del ruolo può svolgerla.")
            % {"roles": ", ".join(str(ROLE_LABELS.get(r, r)) for r in roles)}) for u in holders]
    absent = [u.pk for u in holders if getattr(u, "away_today", True)]
    away = Delegation.objects.filter(user__in=absent, starts_on__lte=today, ends_on__gte=today,
                                     deputy__is_active=True).select_related("user", "deputy", "deputy__profile") \
        if absent else ()
    for delegation in away:
        recipients.append(notifications.Recipient(
            delegation.deputy,
            (lambda d: lambda: _("Ricevi questo messaggio come sostituto di %(who)s dal %(from)s al %(to)s.") % {
                "who": notifications.full_name(d.user), "from": notifications.fmt_date(d.starts_on),
                "to": notifications.fmt_date(d.ends_on)})(delegation),
        ))
    return recipients


def task_created(task) -> None:
    """Viewflow created a human task: tell everyone it reaches (once per task and person)."""
    process = task.process
    agreement_id = getattr(process, "agreement_id", None) or AgreementProcess.objects.get(pk=process.pk).agreement_id
    # The run's agreement as the flow holds it: every writer of the run (task completion, the flow's functions
    # and join conditions) keeps process.agreement current. Read only when the run does not hold it.
    agreement = getattr(process, "agreement", None) if AgreementProcess.agreement.field.is_cached(process) else None
    if agreement is None or agreement.pk != agreement_id:
        agreement = Agreement.objects.select_related("counterpart", "drafted_by", "director").get(pk=agreement_id)
    node = task.flow_task
    opinions = ()
    if getattr(node, "per_dg", False):
        held = getattr(process, "round_opinions", None)  # read by the split that creates the DG tasks
        opinions = held[1] if held and held[0] == agreement.consultation_round else \
            Opinion.objects.filter(agreement=agreement, round=agreement.consultation_round)
    # What came back, looked up only when the text may have come back: at version 1 the agreement was never
    # written since its creation (records.write_fields, through which every phase change passes, counts each
    # write), so no phase change brought it back to negotiation (the first negotiation of every proposal).
    back = (lambda: sent_back(agreement)) if agreement.status == Status.NEGOTIATION and agreement.version > 1 \
        else None
    notifications.task_assigned(
        task_key=str(task.pk), agreement=agreement, title=str(node.task_title or node.name),
        description=str(node.task_description or ""), due=task_due_date(task, agreement, list(opinions)),
        path=reverse("task_page", args=[task.pk]),
        recipients=task_recipients(task, agreement), sent_back=back, new_task=True,
    )
